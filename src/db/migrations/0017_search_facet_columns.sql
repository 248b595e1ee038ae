ALTER TABLE "product" ADD COLUMN "facet_options" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "product" ADD COLUMN "in_stock" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "product_facet_options_idx" ON "product" USING gin ("facet_options");