-- Product search: a weighted tsvector on product (title A, tags B, description C, 'english' config)
-- kept by a trigger, its GIN index, and the search_term vocabulary kept by a second trigger.
-- The column is not in the drizzle schema on purpose: only the search module reads it, in SQL.
ALTER TABLE "product" ADD COLUMN IF NOT EXISTS "search_tsv" tsvector;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_product_tsv(p_title text, p_tags text[], p_description text)
RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('english'::regconfig, coalesce(p_title, '')), 'A')
      || setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(p_tags, ' '), '')), 'B')
      || setweight(to_tsvector('english'::regconfig, coalesce(p_description, '')), 'C')
$$;
--> statement-breakpoint
-- The distinct words of a product (lower case, as the text search parser splits them: words, the
-- parts of hyphenated words, integers) with their 'english' lexeme; stop words have none and are left out.
CREATE OR REPLACE FUNCTION search_product_words(p_title text, p_tags text[], p_description text)
RETURNS TABLE (word text, lexeme text) LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT w.word, x.lexeme
  FROM (
    SELECT DISTINCT lower(t.token) AS word
    FROM ts_parse('default', coalesce(p_title, '') || ' ' || coalesce(array_to_string(p_tags, ' '), '') || ' ' || coalesce(p_description, '')) AS t
    WHERE t.tokid IN (1, 2, 3, 9, 10, 11, 22) AND length(t.token) BETWEEN 2 AND 64
  ) AS w
  CROSS JOIN LATERAL (SELECT (tsvector_to_array(to_tsvector('english'::regconfig, w.word)))[1] AS lexeme) AS x
  WHERE x.lexeme IS NOT NULL
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_product_tsv_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := search_product_tsv(NEW.title, NEW.tags, NEW.description);
  RETURN NEW;
END
$$;
--> statement-breakpoint
-- Applies the difference between the old and the new row to the vocabulary counts in one upsert,
-- in word order, so concurrent product writes lock shared words in the same order.
CREATE OR REPLACE FUNCTION search_product_vocabulary_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  o_store text; o_title text; o_tags text[]; o_desc text; o_active int := 0; o_present int := 0;
  n_store text; n_title text; n_tags text[]; n_desc text; n_active int := 0; n_present int := 0;
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW.title IS NOT DISTINCT FROM OLD.title AND NEW.tags IS NOT DISTINCT FROM OLD.tags
     AND NEW.description IS NOT DISTINCT FROM OLD.description AND NEW.status IS NOT DISTINCT FROM OLD.status
     AND NEW.store_id IS NOT DISTINCT FROM OLD.store_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    o_store := OLD.store_id; o_title := OLD.title; o_tags := OLD.tags; o_desc := OLD.description;
    o_present := 1; o_active := CASE WHEN OLD.status = 'active' THEN 1 ELSE 0 END;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    n_store := NEW.store_id; n_title := NEW.title; n_tags := NEW.tags; n_desc := NEW.description;
    n_present := 1; n_active := CASE WHEN NEW.status = 'active' THEN 1 ELSE 0 END;
  END IF;
  INSERT INTO search_term AS t (store_id, word, lexeme, docs, active_docs)
  SELECT d.store_id, d.word, min(d.lexeme), sum(d.docs), sum(d.active_docs)
  FROM (
    SELECT n_store AS store_id, w.word, w.lexeme, n_present AS docs, n_active AS active_docs
    FROM search_product_words(n_title, n_tags, n_desc) AS w WHERE n_present = 1
    UNION ALL
    SELECT o_store, w.word, w.lexeme, -o_present, -o_active
    FROM search_product_words(o_title, o_tags, o_desc) AS w WHERE o_present = 1
  ) AS d
  -- A store being deleted takes its vocabulary with it (cascade); never re-create rows for it.
  WHERE EXISTS (SELECT 1 FROM store s WHERE s.id = d.store_id)
  GROUP BY d.store_id, d.word
  HAVING sum(d.docs) <> 0 OR sum(d.active_docs) <> 0
  ORDER BY d.store_id, d.word
  ON CONFLICT (store_id, word) DO UPDATE
    SET docs = t.docs + excluded.docs, active_docs = t.active_docs + excluded.active_docs;
  RETURN NULL;
END
$$;
--> statement-breakpoint
UPDATE "product" SET "search_tsv" = search_product_tsv("title", "tags", "description");
--> statement-breakpoint
INSERT INTO search_term (store_id, word, lexeme, docs, active_docs)
SELECT p.store_id, w.word, min(w.lexeme), count(*), count(*) FILTER (WHERE p.status = 'active')
FROM product p CROSS JOIN LATERAL search_product_words(p.title, p.tags, p.description) AS w
GROUP BY p.store_id, w.word
ON CONFLICT (store_id, word) DO NOTHING;
--> statement-breakpoint
CREATE TRIGGER product_search_tsv BEFORE INSERT OR UPDATE OF title, tags, description ON "product"
  FOR EACH ROW EXECUTE FUNCTION search_product_tsv_trigger();
--> statement-breakpoint
CREATE TRIGGER product_search_vocabulary AFTER INSERT OR DELETE OR UPDATE ON "product"
  FOR EACH ROW EXECUTE FUNCTION search_product_vocabulary_trigger();
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "product_search_tsv_idx" ON "product" USING gin ("search_tsv");
