CREATE INDEX "inventory_hold_expires_idx" ON "inventory_hold" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "inventory_hold" ADD CONSTRAINT "inventory_hold_qty_positive" CHECK ("inventory_hold"."qty" > 0);--> statement-breakpoint
ALTER TABLE "inventory_level" ADD CONSTRAINT "inventory_level_committed_nonneg" CHECK ("inventory_level"."committed" >= 0);--> statement-breakpoint
ALTER TABLE "inventory_movement" ADD CONSTRAINT "inventory_movement_reason_valid" CHECK ("inventory_movement"."reason" in ('set', 'adjust', 'reserve', 'commit', 'release', 'expire', 'return', 'cancel'));--> statement-breakpoint
ALTER TABLE "inventory_reservation" ADD CONSTRAINT "inventory_reservation_qty_positive" CHECK ("inventory_reservation"."qty" > 0);--> statement-breakpoint
ALTER TABLE "inventory_reservation" ADD CONSTRAINT "inventory_reservation_state_valid" CHECK ("inventory_reservation"."state" in ('reserved', 'committed', 'released', 'returned'));