CREATE TABLE "search_term" (
	"store_id" text NOT NULL,
	"word" text NOT NULL,
	"lexeme" text NOT NULL,
	"docs" integer DEFAULT 0 NOT NULL,
	"active_docs" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "search_term_store_id_word_pk" PRIMARY KEY("store_id","word")
);
--> statement-breakpoint
ALTER TABLE "search_term" ADD CONSTRAINT "search_term_store_id_store_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."store"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "search_term_lexeme_idx" ON "search_term" USING btree ("store_id","lexeme");--> statement-breakpoint
CREATE INDEX "search_term_word_trgm_idx" ON "search_term" USING gin ("word" gin_trgm_ops);