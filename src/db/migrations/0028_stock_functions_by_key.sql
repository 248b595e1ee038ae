-- The stock functions read a few rows by key, yet PostgreSQL plans each of their statements once per connection
-- and keeps that plan until the next ANALYZE of the tables. Planned while the level and hold tables were small (a
-- new store, a fresh database, the minutes before autovacuum's next analyze), the plan scanned them whole and went
-- on doing so as they grew: with 3,000 variants and 4,000 live holds, a checkout's reservation scanned every level
-- row and every live hold of the store (1 ms of database CPU for a one-line order), and each cart's hold scanned
-- the whole hold table. Both functions now name their variants as an array (`= ANY`, an index condition) and run
-- with sequential scans priced out, so their statements go through the primary key and the (variant, expiry)
-- index of the holds whatever the statistics say. The rules are unchanged.
ALTER FUNCTION inventory_place_hold(text, text, text, integer, timestamptz, timestamptz) SET enable_seqscan = off;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION inventory_reserve_order(
  p_store_id text,
  p_order_id text,
  p_cart_id text,
  p_now timestamptz,
  p_expires_at timestamptz,
  p_lines jsonb
) RETURNS TABLE (variant_id text, fits boolean, available integer, already boolean, reserved boolean)
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  v_ids text[];
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'inventory_reserve_order needs READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  v_ids := ARRAY(SELECT x.variant_id FROM jsonb_to_recordset(p_lines) AS x(variant_id text) ORDER BY 1);
  INSERT INTO inventory_level (variant_id, store_id)
  SELECT x.variant_id, p_store_id
    FROM jsonb_to_recordset(p_lines) AS x(variant_id text, backorder boolean)
   WHERE x.backorder
   ORDER BY x.variant_id
  ON CONFLICT (variant_id) DO NOTHING;
  PERFORM 1
     FROM inventory_level l
    WHERE l.variant_id = ANY (v_ids) AND l.store_id = p_store_id
    ORDER BY l.variant_id
      FOR UPDATE;
  -- A new statement, a new snapshot: other carts' holds as they are now that the rows are locked.
  RETURN QUERY
  WITH v AS (
         SELECT x.variant_id, x.qty, x.backorder, x.movement_id
           FROM jsonb_to_recordset(p_lines) AS x(variant_id text, qty integer, backorder boolean, movement_id text)
       ),
       locked AS (
         SELECT l.variant_id, l.on_hand, l.committed FROM inventory_level l
          WHERE l.variant_id = ANY (v_ids) AND l.store_id = p_store_id
          ORDER BY l.variant_id
            FOR UPDATE
       ),
       held AS (
         SELECT h.variant_id, sum(h.qty)::integer AS held FROM inventory_hold h
          WHERE h.variant_id = ANY (v_ids) AND h.expires_at > p_now
            AND h.store_id = p_store_id
            AND (p_cart_id IS NULL OR h.cart_id <> p_cart_id)
          GROUP BY h.variant_id
       ),
       f AS (
         SELECT v.variant_id,
                k.variant_id IS NOT NULL
                  AND (v.backorder OR k.on_hand - k.committed - coalesce(held.held, 0) >= v.qty) AS fits,
                k.on_hand - k.committed - coalesce(held.held, 0) AS available
           FROM v LEFT JOIN locked k ON k.variant_id = v.variant_id
                  LEFT JOIN held ON held.variant_id = v.variant_id
       ),
       go AS (
         SELECT EXISTS (SELECT 1 FROM inventory_reservation r WHERE r.order_id = p_order_id) AS already,
                (SELECT bool_and(f.fits) FROM f) AS all_fit
       ),
       done AS (
         UPDATE inventory_level AS l
            SET committed = l.committed + v.qty, updated_at = now()
           FROM v LEFT JOIN held ON held.variant_id = v.variant_id, go
          WHERE go.all_fit AND NOT go.already
            AND l.variant_id = ANY (v_ids) AND l.variant_id = v.variant_id AND l.store_id = p_store_id
            AND l.variant_id IN (SELECT locked.variant_id FROM locked)
            AND (v.backorder OR l.on_hand - l.committed - coalesce(held.held, 0) >= v.qty)
      RETURNING l.variant_id
       ),
       reservations AS (
         INSERT INTO inventory_reservation (order_id, variant_id, store_id, qty, expires_at)
         SELECT p_order_id, v.variant_id, p_store_id, v.qty, p_expires_at
           FROM done JOIN v ON v.variant_id = done.variant_id
       ),
       movements AS (
         INSERT INTO inventory_movement (id, store_id, variant_id, delta_on_hand, delta_committed, reason, reference)
         SELECT v.movement_id, p_store_id, v.variant_id, 0, v.qty, 'reserve', p_order_id
           FROM done JOIN v ON v.variant_id = done.variant_id
       ),
       dropped AS (
         DELETE FROM inventory_hold h
          WHERE p_cart_id IS NOT NULL AND h.cart_id = p_cart_id
            AND (SELECT go.all_fit AND NOT go.already FROM go)
       )
  SELECT f.variant_id, f.fits, f.available, go.already,
         f.variant_id IN (SELECT done.variant_id FROM done)
    FROM f, go;
END;
$$;
