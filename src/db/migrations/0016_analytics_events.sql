CREATE TABLE "analytics_event" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"session_id" text NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"product_id" text,
	"variant_id" text,
	"order_id" text,
	"quantity" integer,
	"value" bigint,
	"currency" text,
	"path" text
);
--> statement-breakpoint
ALTER TABLE "analytics_event" ADD CONSTRAINT "analytics_event_store_id_store_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."store"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "analytics_event_store_day_idx" ON "analytics_event" USING btree ("store_id","livemode","occurred_at");--> statement-breakpoint
CREATE INDEX "analytics_event_store_type_day_idx" ON "analytics_event" USING btree ("store_id","livemode","type","occurred_at");--> statement-breakpoint
CREATE INDEX "analytics_event_store_product_day_idx" ON "analytics_event" USING btree ("store_id","livemode","product_id","occurred_at") WHERE "analytics_event"."product_id" is not null;