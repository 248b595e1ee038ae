import { index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { store } from '../stores/index.ts';

/**
 * The search vocabulary: every distinct word of a store's product titles, tags and descriptions,
 * with its full-text lexeme and how many products use it (all, and active only). Kept by a trigger
 * on `product` (migration `search_index`); typo tolerance maps unknown query words to the most
 * similar words here through the trigram index.
 */
export const searchTerm = pgTable(
  'search_term',
  {
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    word: text('word').notNull(),
    /** The word's lexeme under the 'english' text search configuration (what the tsvector holds). */
    lexeme: text('lexeme').notNull(),
    docs: integer('docs').notNull().default(0),
    activeDocs: integer('active_docs').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.storeId, t.word] }),
    index('search_term_lexeme_idx').on(t.storeId, t.lexeme),
    index('search_term_word_trgm_idx').using('gin', t.word.op('gin_trgm_ops')),
  ],
);
