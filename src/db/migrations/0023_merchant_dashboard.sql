CREATE TABLE "catalog_history" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"entity" text NOT NULL,
	"entity_id" text NOT NULL,
	"action" text NOT NULL,
	"subject_id" text,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "email" ADD COLUMN "order_id" text;--> statement-breakpoint
CREATE INDEX "catalog_history_entity_idx" ON "catalog_history" USING btree ("store_id","entity_id","seq");--> statement-breakpoint
CREATE INDEX "customer_store_id_idx" ON "customer" USING btree ("store_id","id");--> statement-breakpoint
CREATE INDEX "customer_store_email_prefix_idx" ON "customer" USING btree ("store_id","email" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "customer_store_name_prefix_idx" ON "customer" USING btree ("store_id",lower("name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "email_store_order_idx" ON "email" USING btree ("store_id","order_id") WHERE order_id is not null;