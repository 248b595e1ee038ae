CREATE TABLE "inventory_hold" (
	"cart_id" text NOT NULL,
	"variant_id" text NOT NULL,
	"store_id" text NOT NULL,
	"qty" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "inventory_hold_cart_id_variant_id_pk" PRIMARY KEY("cart_id","variant_id")
);
--> statement-breakpoint
CREATE TABLE "inventory_level" (
	"variant_id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"on_hand" integer DEFAULT 0 NOT NULL,
	"committed" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inventory_movement" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"store_id" text NOT NULL,
	"variant_id" text NOT NULL,
	"delta_on_hand" integer DEFAULT 0 NOT NULL,
	"delta_committed" integer DEFAULT 0 NOT NULL,
	"reason" text NOT NULL,
	"reference" text,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inventory_movement_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "inventory_reservation" (
	"order_id" text NOT NULL,
	"variant_id" text NOT NULL,
	"store_id" text NOT NULL,
	"qty" integer NOT NULL,
	"state" text DEFAULT 'reserved' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inventory_reservation_order_id_variant_id_pk" PRIMARY KEY("order_id","variant_id")
);
--> statement-breakpoint
CREATE INDEX "inventory_hold_variant_idx" ON "inventory_hold" USING btree ("variant_id","expires_at");--> statement-breakpoint
CREATE INDEX "inventory_movement_variant_idx" ON "inventory_movement" USING btree ("store_id","variant_id","seq");--> statement-breakpoint
CREATE INDEX "inventory_reservation_state_idx" ON "inventory_reservation" USING btree ("state","expires_at");