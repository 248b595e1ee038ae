DROP INDEX "order_store_mode_id_idx";--> statement-breakpoint
DROP INDEX "order_store_mode_status_id_idx";--> statement-breakpoint
DROP INDEX "order_store_mode_email_id_idx";--> statement-breakpoint
CREATE INDEX "analytics_daily_product_day_idx" ON "analytics_daily" USING btree ("store_id","livemode","product_id","day");--> statement-breakpoint
CREATE INDEX "order_store_mode_created_idx" ON "order" USING btree ("store_id","livemode","created_at","id");--> statement-breakpoint
CREATE INDEX "order_store_mode_status_created_idx" ON "order" USING btree ("store_id","livemode","status","created_at","id");--> statement-breakpoint
CREATE INDEX "order_store_mode_email_created_idx" ON "order" USING btree ("store_id","livemode","email","created_at","id");--> statement-breakpoint
CREATE INDEX "order_store_paid_idx" ON "order" USING btree ("store_id","paid_at") WHERE paid_at is not null;