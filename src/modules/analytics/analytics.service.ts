import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import * as repo from './analytics.repo.ts';
import { acceptBatch, type FunnelBatch } from './analytics.rules.ts';

export function createAnalyticsService(deps: { db: Executor; ids: IdGenerator; clock: Clock }) {
  const { db, ids, clock } = deps;
  return {
    /** Stores a batch of funnel events for the key's store and mode; answers how many were taken. */
    async ingest(
      scope: { storeId: string; livemode: boolean },
      batch: FunnelBatch,
    ): Promise<{ accepted: number }> {
      const receivedAt = clock.now();
      const events = acceptBatch(batch, receivedAt);
      await repo.insertEvents(
        db,
        events.map((e) => ({
          id: ids('analyticsEvent'),
          storeId: scope.storeId,
          livemode: scope.livemode,
          sessionId: batch.session_id,
          receivedAt,
          ...e,
        })),
      );
      return { accepted: events.length };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
