-- Search facets from the product row: `product.facet_options` (every option value of its variants, as
-- name U+001F value) and `product.in_stock` (any variant sellable now), kept by triggers on `variant` in the
-- transaction that writes the variants or moves their stock across zero. A variant's stock state is its
-- `listed_in_stock` (flipped by the catalog's stock-change statement on every crossing of zero); while that is
-- unknown (null: a new variant, a new stock policy) it is read from the inventory level.
CREATE OR REPLACE FUNCTION search_refresh_product_facets(ids text[]) RETURNS void LANGUAGE sql AS $$
  UPDATE product AS p
     SET facet_options = f.options, in_stock = f.in_stock
    FROM (
      SELECT x.id,
             coalesce((
               SELECT array_agg(DISTINCT e.key || chr(31) || e.value ORDER BY e.key || chr(31) || e.value)
                 FROM variant v CROSS JOIN LATERAL jsonb_each_text(v.option_values) AS e
                WHERE v.product_id = x.id
             ), '{}'::text[]) AS options,
             EXISTS (
               SELECT 1 FROM variant v
                 LEFT JOIN inventory_level il ON il.variant_id = v.id AND il.store_id = v.store_id
                WHERE v.product_id = x.id
                  AND (NOT v.track_inventory OR v.allow_backorder
                       OR coalesce(v.listed_in_stock, coalesce(il.on_hand - il.committed, 0) > 0))
             ) AS in_stock
        FROM product x
       WHERE x.id = ANY (ids)
    ) AS f
   WHERE p.id = f.id
     AND (p.facet_options, p.in_stock) IS DISTINCT FROM (f.options, f.in_stock);
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_variant_facets_statement_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM search_refresh_product_facets(ARRAY(SELECT DISTINCT product_id FROM new_rows));
  ELSE
    PERFORM search_refresh_product_facets(ARRAY(SELECT DISTINCT product_id FROM old_rows));
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_variant_facets_row_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM search_refresh_product_facets(ARRAY[NEW.product_id, OLD.product_id]);
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Inserts and deletes once per statement (bulk imports); updates per row, and only when a facet input changed,
-- so the checkout's stock statement pays nothing unless a variant crossed zero.
CREATE TRIGGER variant_search_facets_ins AFTER INSERT ON "variant"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_variant_facets_statement_trigger();
--> statement-breakpoint
CREATE TRIGGER variant_search_facets_del AFTER DELETE ON "variant"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_variant_facets_statement_trigger();
--> statement-breakpoint
CREATE TRIGGER variant_search_facets_upd AFTER UPDATE ON "variant" FOR EACH ROW
  WHEN ((OLD.option_values, OLD.listed_in_stock, OLD.track_inventory, OLD.allow_backorder, OLD.product_id)
        IS DISTINCT FROM (NEW.option_values, NEW.listed_in_stock, NEW.track_inventory, NEW.allow_backorder, NEW.product_id))
  EXECUTE FUNCTION search_variant_facets_row_trigger();
--> statement-breakpoint
-- The products that exist already.
SELECT search_refresh_product_facets(ARRAY(SELECT id FROM product));
