-- Existing levels start in the band their stock is in now (threshold: the store's low_stock_threshold, else 5),
-- so the first stock change after the upgrade does not announce a state that was already there.
UPDATE "inventory_level" l
   SET "stock_alert" = CASE
         WHEN l."on_hand" - l."committed" <= 0 THEN 'out'
         WHEN l."on_hand" - l."committed" <= coalesce((s."settings"->>'low_stock_threshold')::int, 5) THEN 'low'
         ELSE 'ok'
       END
  FROM "store" s
 WHERE s."id" = l."store_id";
