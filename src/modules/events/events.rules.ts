import { AppError } from '../../shared/app-error.ts';
import { EVENT_CATALOGUE, EVENT_TYPES, type EventType } from './events.catalogue.ts';
import type { EventRecord } from './events.repo.ts';

/** Events are listable this long, then deleted (DESIGN §1.7). */
export const EVENT_RETENTION_DAYS = 30;

/** The JSON a receiver or an API client sees of an event. */
export interface EventEnvelope {
  id: string;
  object: 'event';
  type: EventType;
  /** ISO 8601, like every timestamp of the API. */
  created: string;
  livemode: boolean;
  api_version: string;
  data: { object: Record<string, unknown> };
}

export function eventEnvelope(e: EventRecord): EventEnvelope {
  return {
    id: e.id,
    object: 'event',
    type: e.type,
    created: e.createdAt.toISOString(),
    livemode: e.livemode,
    api_version: e.apiVersion,
    data: { ...(e.data as { object: Record<string, unknown> }) },
  };
}

/** Types an API client can find in the log (test pings are never stored). */
export const LISTABLE_TYPES: readonly EventType[] = EVENT_TYPES.filter((t) => EVENT_CATALOGUE[t].stored);

/**
 * The `type` filter of the event list: one type, a comma-separated list, or prefixes like `order.*`.
 * Answers the exact types it names; an unknown name or a prefix that matches nothing is a 400.
 */
export function parseTypeFilter(filter: string): EventType[] {
  const out = new Set<EventType>();
  for (const raw of filter.split(',')) {
    const part = raw.trim();
    const matches = part.endsWith('.*')
      ? LISTABLE_TYPES.filter((t) => t.startsWith(part.slice(0, -1)))
      : LISTABLE_TYPES.filter((t) => t === part);
    if (part === '' || matches.length === 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Unknown event type ${JSON.stringify(part)}; see the event catalogue for the types (a prefix like order.* matches a family).`,
        { param: 'type' },
      );
    }
    for (const t of matches) out.add(t);
  }
  return [...out];
}
