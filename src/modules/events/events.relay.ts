import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, type Tx } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import * as repo from './events.repo.ts';

/**
 * A consumer of committed events. It is called inside the relay's claiming transaction with that `tx`, so the
 * rows it writes (webhook deliveries, emails) commit atomically with the events being marked dispatched.
 * Throwing rolls the whole batch back: every consumer sees it again later (at least once). Consumers should
 * record their own failures (a delivery to retry) rather than throw, and throw only when the database fails.
 * A consumer may answer a function, called once the batch committed (e.g. to wake what sends the rows it wrote).
 */
export type EventConsumer = (tx: Tx, events: repo.EventRecord[]) => Promise<unknown>;

export const RELAY_BATCH = 100;

/**
 * Moves committed events to the subscribed consumers. A batch is claimed with FOR UPDATE SKIP LOCKED in
 * (created_at, id) order, so several workers share the feed and no event is handed to two of them while it is
 * in flight; it is marked dispatched in the transaction that handed it over.
 */
export function createEventRelay(deps: { db: Executor; clock: Clock; logger: Logger }) {
  const consumers = new Map<string, EventConsumer>();

  async function relayOnce(batch = RELAY_BATCH): Promise<number> {
    const committed: Array<() => void> = [];
    const n = await inTransaction(deps.db, async (tx) => {
      committed.length = 0;
      const rows = await repo.claimUndispatched(tx, batch);
      if (rows.length === 0) return 0;
      const events = rows.map(repo.toRecord);
      for (const [name, consume] of consumers) {
        try {
          const after = await consume(tx, events);
          if (typeof after === 'function') committed.push(after as () => void);
        } catch (err) {
          deps.logger.warn(
            { err, consumer: name, events: events.length, first_event: events[0]?.id },
            'event consumer failed; the batch will be relayed again',
          );
          throw err;
        }
      }
      await repo.markDispatched(
        tx,
        events.map((e) => e.id),
        deps.clock.now(),
      );
      return events.length;
    });
    for (const after of committed) after();
    return n;
  }

  return {
    /** Registers a consumer under a unique name (before the worker starts). */
    subscribe(name: string, consumer: EventConsumer): void {
      if (consumers.has(name)) throw new Error(`An event consumer named ${name} is already subscribed.`);
      consumers.set(name, consumer);
    },
    relayOnce,
    /** Relays until the feed is empty (bounded); idle, it costs one probe of the partial index. */
    async drain(maxBatches = 20): Promise<number> {
      if (!(await repo.hasUndispatched(deps.db))) return 0;
      let total = 0;
      for (let i = 0; i < maxBatches; i++) {
        const n = await relayOnce();
        total += n;
        if (n < RELAY_BATCH) break;
      }
      return total;
    },
    /** Events waiting for the relay and the age of the oldest (metrics, operations). */
    async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
      const s = await repo.undispatchedStats(deps.db);
      const age = s.oldest ? Math.max(0, (deps.clock.now().getTime() - s.oldest.getTime()) / 1000) : 0;
      return { count: s.count, oldestAgeSeconds: age };
    },
  };
}

export type EventRelay = ReturnType<typeof createEventRelay>;
