-- A cart's hold in one round trip. The function locks the level row with a statement of its own, then reads
-- other carts' live holds with a statement that follows: a VOLATILE function takes a fresh snapshot for every
-- statement in READ COMMITTED, so holds written or dropped by transactions that committed while this one
-- waited for the lock are seen (one statement reads them from the snapshot it started with: a hold placed
-- meanwhile would go unseen, and one dropped would still count). Under REPEATABLE READ or SERIALIZABLE every
-- statement shares the transaction's snapshot and that guarantee is gone, so it refuses to run there.
-- Columns win over the function's output names (#variable_conflict use_column); parameters and variables
-- are prefixed.

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
