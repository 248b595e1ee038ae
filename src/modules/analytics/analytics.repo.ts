import type { Executor } from '../../shared/db.ts';
import { analyticsEvent, type NewAnalyticsEvent } from './analytics.tables.ts';

/** One multi-row insert: a batch is stored whole or not at all. */
export async function insertEvents(db: Executor, rows: NewAnalyticsEvent[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insert(analyticsEvent).values(rows);
}
