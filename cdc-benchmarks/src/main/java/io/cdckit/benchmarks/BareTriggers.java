package io.cdckit.benchmarks;

/**
 * Two lower bounds for what trigger capture can cost writers, measured next to cdckit's flavours
 * and installed without a reader. Both use the statement-level triggers with transition tables
 * of cdckit's statement flavour:
 * <ul>
 *   <li>{@code trigger-noop}: the triggers fire and do nothing, the cost of firing them at all;</li>
 *   <li>{@code trigger-floor}: each writes its statement's row images as text with one
 *       {@code INSERT ... SELECT}, as the statement flavour does, into a log that has only
 *       {@code xid}, table, operation and images: no identity (the per-row order), no index (how a
 *       reader finds a batch), no transaction time (the retention), no advisory locks and NOTIFY
 *       (the wake-up), no output-settings check (correct values) and not {@code SECURITY DEFINER}
 *       (writers need no grant). No trigger that logs the change in the writer's transaction does
 *       less, and cdckit needs each of those things.</li>
 * </ul>
 * The benchmark database is dropped afterwards.
 */
final class BareTriggers extends Capture {

    private final String description;

    private BareTriggers(String description) {
        this.description = description;
    }

    static BareTriggers install(Strategy strategy, Orders orders) {
        boolean floor = switch (strategy) {
            case TRIGGER_NOOP -> false;
            case TRIGGER_FLOOR -> true;
            default -> throw new IllegalArgumentException(strategy + " is not a bare trigger");
        };
        if (floor) {
            orders.database().execute("""
                    CREATE TABLE public.bare_log (
                      xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                      relid oid NOT NULL,
                      op "char" NOT NULL,
                      old_row text,
                      new_row text)""");
        }
        String insert = floor ? """
                INSERT INTO public.bare_log (relid, op, new_row) SELECT TG_RELID, 'I', (t.*)::text FROM new_rows t;"""
                : "NULL;";
        String update = floor ? """
                INSERT INTO public.bare_log (relid, op, old_row, new_row)
                SELECT TG_RELID, 'U', o.r, w.r
                FROM (SELECT row_number() OVER () AS i, (t.*)::text AS r FROM old_rows t) o
                JOIN (SELECT row_number() OVER () AS i, (t.*)::text AS r FROM new_rows t) w ON o.i = w.i
                ORDER BY o.i;""" : "NULL;";
        String delete = floor ? """
                INSERT INTO public.bare_log (relid, op, old_row) SELECT TG_RELID, 'D', (t.*)::text FROM old_rows t;"""
                : "NULL;";
        orders.database().execute(
                function("bare_insert", insert), function("bare_update", update), function("bare_delete", delete),
                "CREATE TRIGGER bare_insert AFTER INSERT ON " + Orders.TABLE + " REFERENCING NEW TABLE AS new_rows "
                        + "FOR EACH STATEMENT EXECUTE FUNCTION public.bare_insert()",
                "CREATE TRIGGER bare_update AFTER UPDATE ON " + Orders.TABLE + " REFERENCING OLD TABLE AS old_rows "
                        + "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.bare_update()",
                "CREATE TRIGGER bare_delete AFTER DELETE ON " + Orders.TABLE + " REFERENCING OLD TABLE AS old_rows "
                        + "FOR EACH STATEMENT EXECUTE FUNCTION public.bare_delete()");
        if (floor) {
            checkLogs(orders);
        }
        return new BareTriggers(floor
                ? "bare statement triggers writing text images into a log without identity, index, locks or NOTIFY, not read"
                : "statement triggers that do nothing");
    }

    /** Writes, changes and removes one row, and checks that the floor's log holds the three images. */
    private static void checkLogs(Orders orders) {
        orders.database().execute(
                "INSERT INTO " + Orders.TABLE + " (id, customer_id, status, amount) VALUES (-1, 0, 'check', 0)",
                "UPDATE " + Orders.TABLE + " SET status = 'checked' WHERE id = -1",
                "DELETE FROM " + Orders.TABLE + " WHERE id = -1");
        long logged = orders.database().queryForLong("SELECT count(*) FROM public.bare_log WHERE op IN ('I', 'U', 'D') "
                + "AND coalesce(new_row, old_row) LIKE '(-1,%'");
        if (logged != 3) {
            throw new IllegalStateException("The bare triggers logged " + logged + " of 3 changes to a check row");
        }
        orders.database().execute("TRUNCATE public.bare_log");
    }

    private static String function(String name, String body) {
        return "CREATE FUNCTION public." + name + "() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n" + body
                + "\nRETURN NULL;\nEND\n$$";
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return description;
    }
}
