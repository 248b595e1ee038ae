CREATE TABLE "fulfillment" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL,
	"carrier" text NOT NULL,
	"tracking_number" text NOT NULL,
	"tracking_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"payment_status" text DEFAULT 'pending' NOT NULL,
	"fulfillment_status" text DEFAULT 'unfulfilled' NOT NULL,
	"currency" text NOT NULL,
	"email" text NOT NULL,
	"shipping_address" jsonb,
	"billing_address" jsonb,
	"shipping" jsonb,
	"subtotal" bigint NOT NULL,
	"discount_total" bigint DEFAULT 0 NOT NULL,
	"shipping_total" bigint DEFAULT 0 NOT NULL,
	"tax_total" bigint DEFAULT 0 NOT NULL,
	"total" bigint NOT NULL,
	"tax_inclusive" boolean DEFAULT false NOT NULL,
	"coupon_id" text,
	"coupon_code" text,
	"cart_id" text,
	"checkout_key" text,
	"checkout_fingerprint" text,
	"secret_hash" text NOT NULL,
	"gateway" text NOT NULL,
	"capture_mode" text DEFAULT 'automatic' NOT NULL,
	"reserved_until" timestamp with time zone NOT NULL,
	"reconcile_after" timestamp with time zone NOT NULL,
	"reconcile_attempts" integer DEFAULT 0 NOT NULL,
	"cancel_reason" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"paid_at" timestamp with time zone,
	"fulfilled_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "order_totals_nonneg" CHECK ("order"."subtotal" >= 0 and "order"."discount_total" >= 0 and "order"."shipping_total" >= 0 and "order"."tax_total" >= 0 and "order"."total" >= 0)
);
--> statement-breakpoint
CREATE TABLE "order_event" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL,
	"type" text NOT NULL,
	"from_status" text,
	"to_status" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_line" (
	"order_id" text NOT NULL,
	"position" integer NOT NULL,
	"store_id" text NOT NULL,
	"variant_id" text NOT NULL,
	"product_id" text,
	"sku" text NOT NULL,
	"product_title" text DEFAULT '' NOT NULL,
	"title" text NOT NULL,
	"unit_price" bigint NOT NULL,
	"qty" integer NOT NULL,
	"subtotal" bigint NOT NULL,
	"discount" bigint DEFAULT 0 NOT NULL,
	"tax" bigint DEFAULT 0 NOT NULL,
	"total" bigint NOT NULL,
	CONSTRAINT "order_line_order_id_position_pk" PRIMARY KEY("order_id","position"),
	CONSTRAINT "order_line_amounts" CHECK ("order_line"."qty" > 0 and "order_line"."unit_price" >= 0 and "order_line"."discount" >= 0 and "order_line"."tax" >= 0 and "order_line"."total" >= 0)
);
--> statement-breakpoint
CREATE TABLE "payment" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL,
	"gateway" text NOT NULL,
	"reference" text,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"amount_authorized" bigint DEFAULT 0 NOT NULL,
	"amount_captured" bigint DEFAULT 0 NOT NULL,
	"amount_refunded" bigint DEFAULT 0 NOT NULL,
	"decline_code" text,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_amounts" CHECK ("payment"."amount_authorized" >= 0 and "payment"."amount_captured" >= "payment"."amount_refunded" and "payment"."amount_refunded" >= 0)
);
--> statement-breakpoint
CREATE TABLE "refund" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"reason" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"gateway_reference" text,
	"idempotency_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refund_amount_positive" CHECK ("refund"."amount" > 0)
);
--> statement-breakpoint
ALTER TABLE "fulfillment" ADD CONSTRAINT "fulfillment_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order" ADD CONSTRAINT "order_store_id_store_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."store"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment" ADD CONSTRAINT "payment_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refund" ADD CONSTRAINT "refund_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fulfillment_order_idx" ON "fulfillment" USING btree ("order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "order_store_checkout_key_uq" ON "order" USING btree ("store_id","checkout_key");--> statement-breakpoint
CREATE INDEX "order_store_id_idx" ON "order" USING btree ("store_id","id");--> statement-breakpoint
CREATE INDEX "order_store_status_id_idx" ON "order" USING btree ("store_id","status","id");--> statement-breakpoint
CREATE INDEX "order_store_email_id_idx" ON "order" USING btree ("store_id","email","id");--> statement-breakpoint
CREATE INDEX "order_pending_reconcile_idx" ON "order" USING btree ("reconcile_after") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "order_event_order_idx" ON "order_event" USING btree ("order_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_order_uq" ON "payment" USING btree ("order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "refund_order_key_uq" ON "refund" USING btree ("order_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "refund_pending_idx" ON "refund" USING btree ("created_at") WHERE status = 'pending';