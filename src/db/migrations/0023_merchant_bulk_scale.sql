CREATE TABLE "bulk_file" (
	"job_id" text NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bulk_file_job_id_role_pk" PRIMARY KEY("job_id","role")
);
--> statement-breakpoint
CREATE TABLE "bulk_job" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"livemode" boolean DEFAULT false NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"progress_done" integer DEFAULT 0 NOT NULL,
	"progress_total" integer DEFAULT 0 NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"result" jsonb,
	"file_name" text,
	"created_by" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
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
DROP INDEX "order_store_mode_id_idx";--> statement-breakpoint
DROP INDEX "order_store_mode_status_id_idx";--> statement-breakpoint
DROP INDEX "order_store_mode_email_id_idx";--> statement-breakpoint
ALTER TABLE "email" ADD COLUMN "order_id" text;--> statement-breakpoint
ALTER TABLE "bulk_file" ADD CONSTRAINT "bulk_file_job_id_bulk_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."bulk_job"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulk_job" ADD CONSTRAINT "bulk_job_store_id_store_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."store"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bulk_job_store_idx" ON "bulk_job" USING btree ("store_id","id");--> statement-breakpoint
CREATE INDEX "bulk_job_due_idx" ON "bulk_job" USING btree ("created_at") WHERE status in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "catalog_history_entity_idx" ON "catalog_history" USING btree ("store_id","entity_id","seq");--> statement-breakpoint
CREATE INDEX "analytics_daily_product_day_idx" ON "analytics_daily" USING btree ("store_id","livemode","product_id","day");--> statement-breakpoint
CREATE INDEX "customer_store_id_idx" ON "customer" USING btree ("store_id","id");--> statement-breakpoint
CREATE INDEX "customer_store_email_prefix_idx" ON "customer" USING btree ("store_id","email" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "customer_store_name_prefix_idx" ON "customer" USING btree ("store_id",lower("name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "email_store_order_idx" ON "email" USING btree ("store_id","order_id") WHERE order_id is not null;--> statement-breakpoint
CREATE INDEX "order_store_mode_created_idx" ON "order" USING btree ("store_id","livemode","created_at","id");--> statement-breakpoint
CREATE INDEX "order_store_mode_status_created_idx" ON "order" USING btree ("store_id","livemode","status","created_at","id");--> statement-breakpoint
CREATE INDEX "order_store_mode_email_created_idx" ON "order" USING btree ("store_id","livemode","email","created_at","id");--> statement-breakpoint
CREATE INDEX "order_store_paid_idx" ON "order" USING btree ("store_id","paid_at") WHERE paid_at is not null;