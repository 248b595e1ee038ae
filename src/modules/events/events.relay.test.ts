import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DB_KIND, freshDatabase, recordStatements } from '../../../test/support/harness.ts';
import { fixedClock } from '../../shared/clock.ts';
import { inTransaction } from '../../shared/db.ts';
import { ids } from '../../shared/ids.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { writeTogether } from '../../shared/write-together.ts';
import { createEventsModule, type EventRecord } from './index.ts';

const database = await freshDatabase();
afterAll(() => database.close());

/** The events module on its own, with a logger whose lines the test reads. */
function eventsModule(clock = fixedClock(new Date())) {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const events = createEventsModule({
    db: database.db,
    ids,
    clock,
    logger,
    metrics: createMetrics(),
    auth: { secret: [] },
    config: { EVENTS_RELAY_POLL_MS: 200, EVENTS_STALE_AFTER_SECONDS: 60 },
  });
  return { events, lines, clock };
}

const append = (m: ReturnType<typeof eventsModule>, storeId: string, createdAt: Date, n = 1) =>
  inTransaction(database.db, (tx) =>
    writeTogether(
      tx,
      Array.from({ length: n }, () =>
        m.events.append(tx, {
          storeId,
          livemode: false,
          type: 'order.created',
          object: { id: 'ord_x', object: 'order' },
          createdAt,
        }),
      ),
    ),
  );

describe(`events relay (${DB_KIND})`, () => {
  it('an idle relay turn is one statement, with no transaction', async () => {
    const m = eventsModule();
    await m.events.drain();
    const { result, log } = await recordStatements(() => m.events.drain());
    expect(result).toBe(0);
    expect(log.statements).toHaveLength(1);
    expect(log.transactions).toBe(0);
  });

  it('hands events over in (created_at, id) order, in batches, each once', async () => {
    const m = eventsModule();
    await m.events.drain();
    const seen: EventRecord[] = [];
    m.events.subscribe('collect', async (_tx, events) => {
      seen.push(...events);
    });
    const t0 = Date.now();
    // Written out of order: the later transaction carries the earlier events.
    await append(m, 'store_b', new Date(t0 - 1000), 150);
    await append(m, 'store_a', new Date(t0 - 5000), 3);
    expect(await m.events.drain()).toBe(153);
    expect(seen.slice(0, 3).map((e) => e.storeId)).toEqual(['store_a', 'store_a', 'store_a']);
    const keys = seen.map((e) => `${e.createdAt.toISOString()} ${e.id}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(seen.map((e) => e.id)).size).toBe(153);
    expect(await m.events.drain()).toBe(0);
  });

  it('logs a warning while the oldest undispatched event is older than EVENTS_STALE_AFTER_SECONDS', async () => {
    const m = eventsModule(fixedClock(new Date()));
    await m.events.drain();
    await append(m, 'store_c', new Date(m.clock.now().getTime() - 30_000));
    await m.events.refreshBacklogMetrics();
    const stale = () => m.lines.filter((l) => l.level === 40 && /EVENTS_STALE_AFTER_SECONDS/.test(l.msg));
    expect(stale()).toHaveLength(0);
    m.clock.advance(31_000);
    const b = await m.events.refreshBacklogMetrics();
    expect(b.count).toBe(1);
    expect(Math.round(b.oldestAgeSeconds)).toBe(61);
    expect(stale()).toHaveLength(1);
    expect(stale()[0]).toMatchObject({ backlog: 1, oldest_age_seconds: 61 });
    await m.events.drain();
    expect(await m.events.refreshBacklogMetrics()).toEqual({ count: 0, oldestAgeSeconds: 0 });
    expect(stale()).toHaveLength(1);
  });
});
