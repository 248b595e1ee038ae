import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import * as repo from './events.repo.ts';
import { EVENT_RETENTION_DAYS } from './events.rules.ts';

/** What a key may see: its store, in its mode. */
export interface EventScope {
  storeId: string;
  livemode: boolean;
}

const RETENTION_BATCH = 1000;
const RETENTION_MAX_BATCHES = 50;

export function createEventsService(deps: { db: Executor; clock: Clock }) {
  const { db } = deps;
  return {
    async list(scope: EventScope, q: Omit<repo.EventListQuery, 'storeId' | 'livemode'>) {
      const rows = await repo.listEvents(db, { ...scope, ...q });
      return rows.map(repo.toRecord);
    },

    async get(scope: EventScope, id: string): Promise<repo.EventRecord> {
      const r = await repo.findEvent(db, scope, id);
      if (!r) throw new AppError('EVENT_NOT_FOUND', `No event ${id} for this key.`, { param: 'id' });
      return repo.toRecord(r);
    },

    /** Deletes events past the retention period, in batches (short statements, no long lock). */
    async deleteExpired(): Promise<number> {
      const before = new Date(deps.clock.now().getTime() - EVENT_RETENTION_DAYS * 86_400_000);
      let total = 0;
      for (let i = 0; i < RETENTION_MAX_BATCHES; i++) {
        const n = await repo.deleteOlderThan(db, before, RETENTION_BATCH);
        total += n;
        if (n < RETENTION_BATCH) break;
      }
      return total;
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
