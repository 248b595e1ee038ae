-- A cart's hold and an order's reservation in one round trip each. Each function locks the level rows with a
-- statement of its own, then reads other carts' live holds with a statement that follows: a VOLATILE function
-- takes a fresh snapshot for every statement in READ COMMITTED, so holds written or dropped by transactions
-- that committed while this one waited for the lock are seen (one statement reads them from the snapshot it
-- started with: a hold placed meanwhile would go unseen, and one dropped would still count). Under REPEATABLE
-- READ or SERIALIZABLE every statement shares the transaction's snapshot and that guarantee is gone, so both
-- refuse to run there. Columns win over the functions' output names (#variable_conflict use_column);
-- parameters and variables are prefixed.

-- Sets a cart's live hold on a variant to p_qty (> 0) when the units are free: lowering or keeping its own
-- hold always is, raising it needs on_hand - committed - other carts' live holds >= p_qty. No row when the
-- variant has no level. Atomic on its own: it may run as an autocommit statement.
CREATE OR REPLACE FUNCTION inventory_place_hold(
  p_store_id text,
  p_cart_id text,
  p_variant_id text,
  p_qty integer,
  p_now timestamptz,
  p_expires_at timestamptz
) RETURNS TABLE (placed boolean, on_hand integer, committed integer, own_hold integer, others_held integer)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  v_on_hand integer;
  v_committed integer;
  v_own integer;
  v_others integer;
  v_placed boolean;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'inventory_place_hold needs READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  SELECT l.on_hand, l.committed INTO v_on_hand, v_committed
    FROM inventory_level l
   WHERE l.store_id = p_store_id AND l.variant_id = p_variant_id
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  -- A new statement, a new snapshot: every hold change of the variant committed before the lock was granted.
  SELECT coalesce(sum(h.qty) FILTER (WHERE h.cart_id = p_cart_id), 0)::integer,
         coalesce(sum(h.qty) FILTER (WHERE h.cart_id <> p_cart_id), 0)::integer
    INTO v_own, v_others
    FROM inventory_hold h
   WHERE h.variant_id = p_variant_id AND h.store_id = p_store_id AND h.expires_at > p_now;
  v_placed := p_qty <= v_own OR v_on_hand - v_committed - v_others >= p_qty;
  IF v_placed THEN
    INSERT INTO inventory_hold AS h (cart_id, variant_id, store_id, qty, expires_at)
    VALUES (p_cart_id, p_variant_id, p_store_id, p_qty, p_expires_at)
    ON CONFLICT (cart_id, variant_id)
    DO UPDATE SET qty = excluded.qty, expires_at = excluded.expires_at, store_id = excluded.store_id;
  END IF;
  RETURN QUERY SELECT v_placed, v_on_hand, v_committed, v_own, v_others;
END;
$$;
--> statement-breakpoint
-- Hard-reserves an order's lines (p_lines: [{variant_id, qty, backorder, movement_id}], one per variant), all
-- or nothing: creates missing levels of backorderable lines, locks the level rows in variant-id order, then
-- applies committed += qty, a reservation and a 'reserve' movement per line and drops the cart's holds only
-- when every line fits on_hand - committed - other carts' live holds (backorderable lines always fit) and the
-- order has no reservation yet. One row per line: whether it fit, what was free, whether the order was
-- already reserved and whether this line was reserved now.
CREATE OR REPLACE FUNCTION inventory_reserve_order(
  p_store_id text,
  p_order_id text,
  p_cart_id text,
  p_now timestamptz,
  p_expires_at timestamptz,
  p_lines jsonb
) RETURNS TABLE (variant_id text, fits boolean, available integer, already boolean, reserved boolean)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'inventory_reserve_order needs READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  INSERT INTO inventory_level (variant_id, store_id)
  SELECT x.variant_id, p_store_id
    FROM jsonb_to_recordset(p_lines) AS x(variant_id text, backorder boolean)
   WHERE x.backorder
   ORDER BY x.variant_id
  ON CONFLICT (variant_id) DO NOTHING;
  PERFORM 1
     FROM inventory_level l
    WHERE l.store_id = p_store_id
      AND l.variant_id IN (SELECT x.variant_id FROM jsonb_to_recordset(p_lines) AS x(variant_id text))
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
          WHERE l.store_id = p_store_id AND l.variant_id IN (SELECT v.variant_id FROM v)
          ORDER BY l.variant_id
            FOR UPDATE
       ),
       held AS (
         SELECT h.variant_id, sum(h.qty)::integer AS held FROM inventory_hold h
          WHERE h.store_id = p_store_id AND h.variant_id IN (SELECT v.variant_id FROM v)
            AND h.expires_at > p_now
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
            AND l.variant_id = v.variant_id AND l.store_id = p_store_id
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
