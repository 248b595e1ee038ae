import { timestamp } from 'drizzle-orm/pg-core';

/** Every timestamp of the schema: `timestamptz`, read as a JS Date. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
