-- The vocabulary trigger fired once per product row, which made bulk imports (the 100k-product seed)
-- minutes slower. The same bookkeeping now runs once per statement over its transition tables:
-- one grouped upsert however many products the statement wrote.
DROP TRIGGER IF EXISTS product_search_vocabulary ON "product";
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_vocabulary_statement_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO search_term AS t (store_id, word, lexeme, docs, active_docs)
    SELECT n.store_id, w.word, min(w.lexeme), count(*), count(*) FILTER (WHERE n.status = 'active')
    FROM new_rows n CROSS JOIN LATERAL search_product_words(n.title, n.tags, n.description) AS w
    WHERE EXISTS (SELECT 1 FROM store s WHERE s.id = n.store_id)
    GROUP BY n.store_id, w.word
    ORDER BY n.store_id, w.word
    ON CONFLICT (store_id, word) DO UPDATE
      SET docs = t.docs + excluded.docs, active_docs = t.active_docs + excluded.active_docs;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE search_term AS t
    SET docs = t.docs - d.docs, active_docs = t.active_docs - d.active_docs
    FROM (
      SELECT o.store_id, w.word, count(*) AS docs, count(*) FILTER (WHERE o.status = 'active') AS active_docs
      FROM old_rows o CROSS JOIN LATERAL search_product_words(o.title, o.tags, o.description) AS w
      GROUP BY o.store_id, w.word
    ) AS d
    WHERE t.store_id = d.store_id AND t.word = d.word;
  ELSE
    INSERT INTO search_term AS t (store_id, word, lexeme, docs, active_docs)
    SELECT d.store_id, d.word, min(d.lexeme), sum(d.docs), sum(d.active_docs)
    FROM (
      SELECT n.store_id, w.word, w.lexeme, 1 AS docs, CASE WHEN n.status = 'active' THEN 1 ELSE 0 END AS active_docs
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      CROSS JOIN LATERAL search_product_words(n.title, n.tags, n.description) AS w
      WHERE (n.title, n.tags, n.description, n.status, n.store_id) IS DISTINCT FROM (o.title, o.tags, o.description, o.status, o.store_id)
      UNION ALL
      SELECT o.store_id, w.word, w.lexeme, -1, CASE WHEN o.status = 'active' THEN -1 ELSE 0 END
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      CROSS JOIN LATERAL search_product_words(o.title, o.tags, o.description) AS w
      WHERE (n.title, n.tags, n.description, n.status, n.store_id) IS DISTINCT FROM (o.title, o.tags, o.description, o.status, o.store_id)
    ) AS d
    WHERE EXISTS (SELECT 1 FROM store s WHERE s.id = d.store_id)
    GROUP BY d.store_id, d.word
    HAVING sum(d.docs) <> 0 OR sum(d.active_docs) <> 0
    ORDER BY d.store_id, d.word
    ON CONFLICT (store_id, word) DO UPDATE
      SET docs = t.docs + excluded.docs, active_docs = t.active_docs + excluded.active_docs;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER product_search_vocabulary_ins AFTER INSERT ON "product"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_vocabulary_statement_trigger();
--> statement-breakpoint
CREATE TRIGGER product_search_vocabulary_upd AFTER UPDATE ON "product"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_vocabulary_statement_trigger();
--> statement-breakpoint
CREATE TRIGGER product_search_vocabulary_del AFTER DELETE ON "product"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_vocabulary_statement_trigger();
