-- Every search scans these GIN indexes. With `fastupdate` (PostgreSQL's default) a write appends its entries to
-- the index's pending list, and every scan reads that whole list until a vacuum, or 4 MB of it, merges it into
-- the index: right after a catalog import the text index is nothing but pending list (1,000 products: 75 pages
-- read by each search), and a busy catalog keeps up to 4 MB of it between vacuums. Without it a write merges its
-- entries at once (tens of microseconds more per product written) and a search reads only what it matches.
ALTER INDEX "product_search_tsv_idx" SET (fastupdate = off);--> statement-breakpoint
ALTER INDEX "search_term_word_trgm_idx" SET (fastupdate = off);--> statement-breakpoint
ALTER INDEX "product_facet_options_idx" SET (fastupdate = off);--> statement-breakpoint
-- What is already pending stays until merged.
SELECT gin_clean_pending_list('product_search_tsv_idx'::regclass),
       gin_clean_pending_list('search_term_word_trgm_idx'::regclass),
       gin_clean_pending_list('product_facet_options_idx'::regclass);
