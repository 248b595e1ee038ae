import { and, asc, inArray, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import { outbox } from '../jobs/index.ts';

export interface OutboxMessage {
  id: string;
  storeId: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** A consumer of outbox events. Throwing leaves the batch undispatched: it is delivered again (at least once). */
export type OutboxListener = (messages: OutboxMessage[]) => Promise<void> | void;

/**
 * Moves committed outbox rows to in-process listeners (webhook delivery, search, analytics plug in here).
 * A batch is claimed with FOR UPDATE SKIP LOCKED, so several workers share the feed without sending a row twice
 * while it is in flight; it is marked dispatched in the same transaction that delivered it.
 */
export function createOutboxRelay(deps: { db: Executor; clock: Clock; logger: Logger }) {
  const listeners = new Set<OutboxListener>();

  async function relayOnce(batch = 100): Promise<number> {
    return inTransaction(deps.db, async (tx) => {
      const rows = await tx
        .select()
        .from(outbox)
        .where(isNull(outbox.dispatchedAt))
        .orderBy(asc(outbox.createdAt), asc(outbox.id))
        .limit(batch)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return 0;
      const messages: OutboxMessage[] = rows.map((r) => ({
        id: r.id,
        storeId: r.storeId,
        type: r.type,
        payload: r.payload,
        createdAt: r.createdAt,
      }));
      for (const listener of listeners) await listener(messages);
      for (const m of messages)
        deps.logger.debug({ event: m.type, id: m.id, store_id: m.storeId }, 'outbox event');
      await tx
        .update(outbox)
        .set({ dispatchedAt: deps.clock.now() })
        .where(
          and(
            inArray(
              outbox.id,
              rows.map((r) => r.id),
            ),
            isNull(outbox.dispatchedAt),
          ),
        );
      return rows.length;
    });
  }

  return {
    /** Adds a listener; returns the function that removes it. */
    subscribe(listener: OutboxListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    relayOnce,
    /** Relays until the feed is drained (bounded), for the periodic task. */
    async drain(maxBatches = 20): Promise<number> {
      let total = 0;
      for (let i = 0; i < maxBatches; i++) {
        const n = await relayOnce();
        total += n;
        if (n === 0) break;
      }
      return total;
    },
    /** Rows still waiting (for readiness and metrics). */
    async backlog(): Promise<number> {
      const [r] = await deps.db
        .select({ n: sql<number>`count(*)::int` })
        .from(outbox)
        .where(isNull(outbox.dispatchedAt));
      return Number(r?.n ?? 0);
    },
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
