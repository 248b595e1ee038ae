-- Search sorts without a query (newest, price) walk these in order instead of sorting the whole store.
CREATE INDEX IF NOT EXISTS "product_search_created_idx" ON "product" USING btree ("store_id", "created_at", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "product_search_price_idx" ON "product" USING btree ("store_id", "price_min", "id");
