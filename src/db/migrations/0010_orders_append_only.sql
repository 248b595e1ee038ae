-- The order audit trail is append-only and order lines are an immutable snapshot: refuse edits in the database itself.
CREATE OR REPLACE FUNCTION crowdstart_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME USING ERRCODE = '55000';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER order_event_append_only BEFORE UPDATE OR DELETE ON "order_event"
  FOR EACH ROW EXECUTE FUNCTION crowdstart_refuse_change();
--> statement-breakpoint
CREATE TRIGGER order_line_immutable BEFORE UPDATE ON "order_line"
  FOR EACH ROW EXECUTE FUNCTION crowdstart_refuse_change();
