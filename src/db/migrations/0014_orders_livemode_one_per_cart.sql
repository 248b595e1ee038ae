DROP INDEX "order_store_id_idx";--> statement-breakpoint
DROP INDEX "order_store_status_id_idx";--> statement-breakpoint
DROP INDEX "order_store_email_id_idx";--> statement-breakpoint
DROP INDEX "order_store_checkout_key_uq";--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "order" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "payment" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "refund" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "order_store_cart_live_uq" ON "order" USING btree ("store_id","cart_id") WHERE status <> 'cancelled' and cart_id is not null;--> statement-breakpoint
CREATE INDEX "order_store_mode_id_idx" ON "order" USING btree ("store_id","livemode","id");--> statement-breakpoint
CREATE INDEX "order_store_mode_status_id_idx" ON "order" USING btree ("store_id","livemode","status","id");--> statement-breakpoint
CREATE INDEX "order_store_mode_email_id_idx" ON "order" USING btree ("store_id","livemode","email","id");--> statement-breakpoint
CREATE UNIQUE INDEX "order_store_checkout_key_uq" ON "order" USING btree ("store_id","livemode","checkout_key");--> statement-breakpoint
-- Stripe credentials move under their mode, read from the key's prefix; the API endpoint is no longer a store setting.
UPDATE "store"
SET settings = (settings - 'stripe') || jsonb_build_object('stripe', jsonb_build_object(
  CASE WHEN settings->'stripe'->>'secret_key' ~ '^(sk|rk)_live_' THEN 'live' ELSE 'test' END,
  jsonb_strip_nulls(jsonb_build_object(
    'secret_key', settings->'stripe'->>'secret_key',
    'webhook_secret', settings->'stripe'->>'webhook_secret'))))
WHERE settings->'stripe' ? 'secret_key';
--> statement-breakpoint
-- Every store gets its own test gateway webhook secret; the shared documented default is gone.
UPDATE "store"
SET settings = jsonb_set(settings, '{test_gateway}', jsonb_build_object('webhook_secret',
  'whsec_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')))
WHERE coalesce(settings->'test_gateway'->>'webhook_secret', '') = '';
