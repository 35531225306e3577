package io.cdckit.benchmarks;

/**
 * The classic trigger-based capture of the tutorial, as the reference the trigger strategy's
 * writer cost is measured against: a plpgsql {@code audit_changes()} row trigger writing the
 * table name, the operation, {@code to_jsonb(OLD)} and {@code to_jsonb(NEW)} and the time into a
 * change log with a {@code bigserial} key and an index on the unprocessed entries. Nothing reads
 * it; the benchmark database is dropped afterwards.
 */
final class ClassicTrigger extends Capture {

    private ClassicTrigger() {
    }

    static ClassicTrigger install(Orders orders) {
        orders.database().execute("""
                CREATE TABLE public.change_log (
                  id bigserial PRIMARY KEY,
                  table_name text NOT NULL,
                  operation text NOT NULL,
                  old_data jsonb,
                  new_data jsonb,
                  changed_at timestamptz NOT NULL,
                  processed boolean NOT NULL DEFAULT false)""",
                "CREATE INDEX change_log_unprocessed ON public.change_log (id) WHERE NOT processed",
                """
                CREATE FUNCTION public.audit_changes() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP = 'INSERT' THEN
                    INSERT INTO public.change_log (table_name, operation, new_data, changed_at)
                    VALUES (TG_TABLE_NAME, 'INSERT', to_jsonb(NEW), now());
                    RETURN NEW;
                  ELSIF TG_OP = 'UPDATE' THEN
                    INSERT INTO public.change_log (table_name, operation, old_data, new_data, changed_at)
                    VALUES (TG_TABLE_NAME, 'UPDATE', to_jsonb(OLD), to_jsonb(NEW), now());
                    RETURN NEW;
                  ELSE
                    INSERT INTO public.change_log (table_name, operation, old_data, changed_at)
                    VALUES (TG_TABLE_NAME, 'DELETE', to_jsonb(OLD), now());
                    RETURN OLD;
                  END IF;
                END
                $$""",
                "CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE OR DELETE ON public.orders "
                        + "FOR EACH ROW EXECUTE FUNCTION public.audit_changes()");
        return new ClassicTrigger();
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "classic audit_changes() trigger, not read";
    }
}
