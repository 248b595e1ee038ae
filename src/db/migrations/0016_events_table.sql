-- The outbox becomes the events module's `event` table: rows kept, payload → data as `{ "object": payload }`.
-- Rows the old relay had not yet handed to anyone are marked dispatched: their payload predates the event
-- shape, and the consumers subscribing now (webhooks, mail) must not receive them; they stay listable.
ALTER TABLE "outbox" RENAME TO "event";--> statement-breakpoint
ALTER TABLE "event" RENAME COLUMN "payload" TO "data";--> statement-breakpoint
ALTER TABLE "event" ADD COLUMN "api_version" text;--> statement-breakpoint
UPDATE "event" SET "api_version" = '2026-11-01', "data" = jsonb_build_object('object', "data"),
  "dispatched_at" = coalesce("dispatched_at", now());--> statement-breakpoint
ALTER TABLE "event" ALTER COLUMN "api_version" SET NOT NULL;--> statement-breakpoint
ALTER INDEX "outbox_pkey" RENAME TO "event_pkey";--> statement-breakpoint
DROP INDEX "outbox_undispatched_idx";--> statement-breakpoint
CREATE INDEX "event_undispatched_idx" ON "event" USING btree ("created_at","id") WHERE dispatched_at is null;--> statement-breakpoint
CREATE INDEX "event_list_idx" ON "event" USING btree ("store_id","livemode","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "event_type_idx" ON "event" USING btree ("store_id","livemode","type","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);
