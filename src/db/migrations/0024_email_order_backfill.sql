-- Order emails queued before email.order_id existed: their dedupe keys name the order (confirmation, shipping)
-- or the refund (refund emails), so GET /v1/orders/{id}/emails lists them too.
UPDATE "email" SET "order_id" = substring("dedupe_key" from position(':' in "dedupe_key") + 1)
WHERE "order_id" IS NULL AND "kind" IN ('order_confirmation', 'order_shipped');--> statement-breakpoint
UPDATE "email" e SET "order_id" = r."order_id" FROM "refund" r
WHERE e."order_id" IS NULL AND e."kind" = 'order_refunded' AND e."dedupe_key" = 'order_refunded:' || r."id";
