package io.cdckit.trigger;

import io.cdckit.api.TableId;

import java.util.ArrayList;
import java.util.List;

/**
 * The SQL that installs, upgrades and removes trigger capture: one source of truth for what a
 * source runs with {@code cdc.trigger.install=true} and for the script a DBA reviews.
 *
 * <p>DDL cannot take bind parameters, so the few values in it are written as literals by
 * {@link #literal(String)}: the schema name is restricted to {@code [a-z0-9_]} by its config key,
 * the consumer name to {@code [A-Za-z0-9_.-]}, and table names appear only as quoted identifiers
 * ({@link TableId#quoted()}) inside literals, never inside dollar-quoted bodies.
 */
final class InstallScript {

    /**
     * Version of the installed objects this library writes and reads. 2: images are written with
     * the output settings the reader reads them with, whatever the writer's session has set. 3:
     * columns left out and row filters as trigger arguments. 4: the reader's locks keyed by two
     * {@code int4} (the purpose's hash, the table's oid) and the wake-up decided in one expression.
     */
    static final int VERSION = 4;

    /** The trigger functions the install creates, by name (the helpers claim_table and ensure_capture aside). */
    static final List<String> TRIGGER_FUNCTIONS = List.of("audit_changes", "audit_changes_insert",
            "audit_changes_update", "audit_changes_delete", "audit_changes_truncate", "audit_changes_notify",
            "audit_changes" + ImageWriters.SELECTED, "audit_changes_insert" + ImageWriters.SELECTED,
            "audit_changes_update" + ImageWriters.SELECTED, "audit_changes_delete" + ImageWriters.SELECTED);

    private final TriggerSettings settings;
    private final String s;

    InstallScript(TriggerSettings settings) {
        this.settings = settings;
        this.s = settings.quotedSchema();
    }

    /**
     * What install and uninstall start with: string syntax, one install into this schema at a time
     * (another one is waited for as long as it takes, its own waits are bounded), then the bound on
     * waits for the captured tables' locks.
     */
    private List<String> preamble() {
        List<String> sql = new ArrayList<>();
        sql.add("SET LOCAL standard_conforming_strings = on");
        sql.add("SET LOCAL lock_timeout = 0");
        sql.add("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(" + literal("cdckit:" + settings.schema())
                + "))");
        sql.add(settings.ddl().setLocalLockTimeout());
        return sql;
    }

    /** The statements of the install, in order, to run in one transaction. */
    List<String> installStatements() {
        List<String> sql = preamble();
        sql.add(objects());
        sql.addAll(functions());
        for (TableId t : settings.tables()) {
            sql.add("SELECT " + s + ".ensure_capture(" + literal(t.quoted()) + ", "
                    + literal(settings.flavour().name().toLowerCase()) + ", " + settings.notifyReader() + ", "
                    + textArray(settings.included().of(t)) + ", " + textArray(settings.excluded().of(t)) + ", "
                    + textArray(settings.keys().of(t)) + ", "
                    + (settings.filters().of(t) == null ? "NULL" : literal(settings.filters().of(t))) + ")");
            sql.add("SELECT " + s + ".claim_table(" + literal(t.quoted()) + ", " + literal(settings.consumer()) + ")");
        }
        return sql;
    }

    /** The statements that remove exactly what any install into this schema created. */
    List<String> uninstallStatements() {
        String schemaLit = literal(settings.schema());
        String functionNames = String.join(", ", TRIGGER_FUNCTIONS.stream().map(InstallScript::literal).toList());
        List<String> sql = preamble();
        sql.add("""
                DO $cdckit$
                DECLARE
                  t record;
                  created boolean;
                BEGIN
                  IF pg_catalog.to_regclass(%1$s) IS NULL THEN
                    RAISE NOTICE 'no cdckit trigger capture is installed in schema %%', %2$s;
                    RETURN;
                  END IF;
                  SELECT created_schema INTO created FROM %3$s.installation;
                  FOR t IN
                    SELECT tg.tgname, tg.tgrelid::pg_catalog.regclass AS rel
                    FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
                    WHERE p.pronamespace = %2$s::pg_catalog.regnamespace AND p.proname IN (%4$s)
                      AND tg.tgparentid = 0
                  LOOP
                    EXECUTE pg_catalog.format('DROP TRIGGER %%I ON %%s', t.tgname, t.rel);
                  END LOOP;
                  DROP FUNCTION %3$s.audit_changes(), %3$s.audit_changes_insert(), %3$s.audit_changes_update(),
                    %3$s.audit_changes_delete(), %3$s.audit_changes_truncate(), %3$s.audit_changes_notify(),
                    %3$s.audit_changes_selected(), %3$s.audit_changes_insert_selected(),
                    %3$s.audit_changes_update_selected(), %3$s.audit_changes_delete_selected(),
                    %3$s.claim_table(pg_catalog.text, pg_catalog.text),
                    %3$s.ensure_capture(pg_catalog.text, pg_catalog.text, boolean, pg_catalog.text[], pg_catalog.text[],
                      pg_catalog.text[], pg_catalog.text);
                  DROP TABLE %3$s.change_log, %3$s.consumer, %3$s.installation;
                  IF created THEN
                    BEGIN
                      DROP SCHEMA %3$s;
                    EXCEPTION WHEN dependent_objects_still_exist THEN
                      RAISE NOTICE 'schema %% holds other objects and is kept', %2$s;
                    END;
                  END IF;
                END
                $cdckit$""".formatted(literal(s + ".installation"), schemaLit, s, functionNames));
        return sql;
    }

    /** The install as a script for review: one transaction, comments saying what needs which privilege. */
    String installScript() {
        StringBuilder b = new StringBuilder();
        b.append("-- cdckit trigger capture, install version ").append(VERSION).append(", schema ")
                .append(settings.schema()).append(", flavour ").append(settings.flavour().name().toLowerCase())
                .append(", consumer ").append(settings.consumer()).append(".\n")
                .append("-- Idempotent: running it again upgrades or changes nothing. Run it as a user with CREATE\n")
                .append("-- on the database (or on an existing schema) who owns the captured tables or holds TRIGGER on\n")
                .append("-- them. The trigger functions are SECURITY DEFINER, so writers need no grant on the log.\n")
                .append("-- lock_timeout bounds its wait for each table (writers queue behind a waiting CREATE TRIGGER):\n")
                .append("-- when it fails with \"canceling statement due to lock timeout\", run it again when the\n")
                .append("-- transactions open on the table have ended (cdc.ddl.lock-timeout sets the bound).\n")
                .append("BEGIN;\n\n");
        for (String st : installStatements()) {
            b.append(st).append(";\n\n");
        }
        return b.append("COMMIT;\n").toString();
    }

    /** The uninstall as a script for review. */
    String uninstallScript() {
        StringBuilder b = new StringBuilder("-- cdckit trigger capture: removes the triggers, functions and tables an "
                + "install created in schema " + settings.schema() + ",\n-- and the schema when the install created it "
                + "and nothing else lives in it.\nBEGIN;\n\n");
        for (String st : uninstallStatements()) {
            b.append(st).append(";\n\n");
        }
        return b.append("COMMIT;\n").toString();
    }

    private String objects() {
        return """
                DO $cdckit$
                DECLARE
                  installed integer;
                BEGIN
                  IF pg_catalog.current_setting('server_version_num')::integer < 130000 THEN
                    RAISE EXCEPTION 'cdckit trigger capture needs PostgreSQL 13 or later (pg_current_xact_id, pg_snapshot), this server runs %%',
                      pg_catalog.current_setting('server_version');
                  END IF;
                  IF pg_catalog.to_regnamespace(%1$s) IS NULL THEN
                    CREATE SCHEMA %2$s;
                    CREATE TABLE %2$s.installation (
                      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                      version integer NOT NULL,
                      created_schema boolean NOT NULL,
                      installed_at timestamptz NOT NULL DEFAULT pg_catalog.now());
                    INSERT INTO %2$s.installation (version, created_schema) VALUES (0, true);
                  ELSIF pg_catalog.to_regclass(%3$s) IS NULL THEN
                    CREATE TABLE %2$s.installation (
                      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                      version integer NOT NULL,
                      created_schema boolean NOT NULL,
                      installed_at timestamptz NOT NULL DEFAULT pg_catalog.now());
                    INSERT INTO %2$s.installation (version, created_schema) VALUES (0, false);
                  END IF;
                  SELECT version INTO installed FROM %2$s.installation;
                  IF installed > %4$s THEN
                    RAISE EXCEPTION 'schema %% holds cdckit trigger capture version %%, newer than this cdckit (version %%)', %1$s, installed, %4$s
                      USING HINT = 'Upgrade cdckit to the version that installed it.';
                  END IF;
                  IF installed < 1 THEN
                    -- No index on id: the reader finds a batch through xid, and one index keeps writers cheap.
                    -- The identity must not be cached (CACHE 1): ids must follow the order rows are logged in.
                    CREATE TABLE %2$s.change_log (
                      id bigint GENERATED ALWAYS AS IDENTITY (CACHE 1),
                      xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
                      logged_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
                      relid oid NOT NULL,
                      op "char" NOT NULL,
                      old_row text,
                      new_row text);
                    CREATE INDEX change_log_xid ON %2$s.change_log (xid);
                    CREATE TABLE %2$s.consumer (
                      relid oid PRIMARY KEY,
                      consumer text NOT NULL,
                      claimed_at timestamptz NOT NULL DEFAULT pg_catalog.now());
                  END IF;
                  UPDATE %2$s.installation SET version = %4$s, installed_at = pg_catalog.now();
                END
                $cdckit$""".formatted(literal(settings.schema()), s, literal(s + ".installation"), VERSION);
    }

    private List<String> functions() {
        // The NOTIFY is sent only while the table's reader is not reading (it holds the table's
        // "reading" lock exclusively while it reads). A transaction that skips it holds the table's
        // "in flight" lock (shared) until it ends, taken first, so the reader, before it waits for
        // notifications, can tell whether such a transaction may still commit (ReaderPresence).
        // The in-flight lock is only tried: the reader holds it exclusively for an instant while it
        // checks, and a transaction that does not get it then notifies, which is always safe. One
        // expression decides it all (CASE evaluates in order): PL/pgSQL sets up every statement and
        // expression of a trigger function again in each transaction, so a single-row statement
        // pays for each one.
        // (in parentheses: PL/pgSQL ends an IF's condition at the first THEN outside them)
        String wake = "(CASE WHEN pg_catalog.pg_try_advisory_xact_lock_shared(" + lockKey(ReaderPresence.IN_FLIGHT)
                + ")\n      THEN pg_catalog.pg_try_advisory_xact_lock_shared(" + lockKey(ReaderPresence.READING)
                + ") ELSE true END)";
        String sendNotify = "    PERFORM pg_catalog.pg_notify(" + literal(settings.channel()) + ", '');\n  END IF;";
        String notify = settings.notifyReader()
                ? "IF " + wake + " THEN\n" + sendNotify
                : "NULL; -- NOTIFY disabled (cdc.trigger.notify=false)";
        String notifyIfRows = settings.notifyReader()
                ? "IF n OPERATOR(pg_catalog.>) 0 AND " + wake + " THEN\n" + sendNotify
                : notify;
        List<String> sql = new ArrayList<>();
        ImageWriters writers = new ImageWriters(s);
        String selected = " Selecting (see ImageWriters): logs rows matching the row filter in the first argument, "
                + "with the columns named in the others as NULL.";
        sql.add(function("audit_changes", "Row flavour: one log row per changed row.", ROW_DECLARE,
                writingImages(writers.row(), false)));
        sql.add(function("audit_changes" + ImageWriters.SELECTED, "Row flavour." + selected, ROW_SELECTED_DECLARE,
                writingImages(writers.rowSelected(), false)));
        sql.add(function("audit_changes_insert", "Statement flavour: the inserted rows of one statement.",
                STATEMENT_DECLARE, writingImages(writers.inserted(), true) + "\n  " + notifyIfRows));
        sql.add(function("audit_changes_insert" + ImageWriters.SELECTED, "Statement flavour: inserted rows." + selected,
                STATEMENT_SELECTED_DECLARE, writingImages(writers.insertedSelected(), true) + "\n  " + notifyIfRows));
        sql.add(function("audit_changes_update", "Statement flavour: the updated rows of one statement, the i-th "
                        + "old row paired with the i-th new row (both transition tables hold them in update order).",
                STATEMENT_DECLARE, writingImages(writers.updated(), true) + "\n  " + notifyIfRows));
        sql.add(function("audit_changes_update" + ImageWriters.SELECTED, "Statement flavour: updated rows." + selected,
                STATEMENT_SELECTED_DECLARE, writingImages(writers.updatedSelected(), true) + "\n  " + notifyIfRows));
        sql.add(function("audit_changes_delete", "Statement flavour: the deleted rows of one statement.",
                STATEMENT_DECLARE, writingImages(writers.deleted(), true) + "\n  " + notifyIfRows));
        sql.add(function("audit_changes_delete" + ImageWriters.SELECTED, "Statement flavour: deleted rows." + selected,
                STATEMENT_SELECTED_DECLARE, writingImages(writers.deletedSelected(), true) + "\n  " + notifyIfRows));
        sql.add(function("audit_changes_truncate", "Both flavours: a TRUNCATE of the table.", "", """
                  INSERT INTO %s.change_log (relid, op) VALUES (TG_RELID, 'T');
                  %s""".formatted(s, notify)));
        sql.add(function("audit_changes_notify", "Row flavour: wakes the reader once per statement.", "",
                "  " + notify));
        // version 2 had no column arguments
        sql.add("DROP FUNCTION IF EXISTS " + s + ".ensure_capture(pg_catalog.text, pg_catalog.text, boolean)");
        sql.add("DROP FUNCTION IF EXISTS " + s + ".ensure_capture(pg_catalog.text, pg_catalog.text, boolean, "
                + "pg_catalog.text[], pg_catalog.text[], pg_catalog.text[])");
        sql.add("""
                CREATE OR REPLACE FUNCTION %1$s.ensure_capture(captured pg_catalog.text, flavour pg_catalog.text, notify boolean,
                  included pg_catalog.text[], excluded pg_catalog.text[], key_columns pg_catalog.text[],
                  row_filter pg_catalog.text)
                RETURNS void LANGUAGE plpgsql AS $cdckit$
                -- Creates the capture triggers of one table, or replaces them when the flavour, the row filter or
                -- the columns left out changed; leaves them alone (no lock taken) when they are already right. The
                -- image writers' arguments: the row filter ('' for none), then the columns cdc.columns.* leaves out
                -- (not in included when it is set, or in excluded; never a key column), logged as NULL; none at all
                -- when there is neither.
                DECLARE
                  rel pg_catalog.regclass := captured::pg_catalog.regclass;
                  wanted pg_catalog.text[];
                  present pg_catalog.text[];
                  t pg_catalog.text;
                  masked pg_catalog.text[];
                  wanted_args pg_catalog.bytea;
                  args pg_catalog.text;
                  writer pg_catalog.text;
                BEGIN
                  IF key_columns IS NULL THEN
                    key_columns := ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_index i
                      JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
                       AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey)
                      WHERE i.indrelid OPERATOR(pg_catalog.=) rel AND i.indisprimary);
                  END IF;
                  masked := ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                      AND ((included IS NOT NULL AND a.attname::pg_catalog.text OPERATOR(pg_catalog.<>) ALL (included))
                           OR a.attname::pg_catalog.text OPERATOR(pg_catalog.=) ANY (COALESCE(excluded, '{}')))
                      AND a.attname::pg_catalog.text OPERATOR(pg_catalog.<>) ALL (key_columns)
                    ORDER BY a.attnum);
                  IF row_filter IS NOT NULL OR pg_catalog.cardinality(masked) OPERATOR(pg_catalog.>) 0 THEN
                    masked := COALESCE(row_filter, '') OPERATOR(pg_catalog.||) masked;
                  END IF;
                  wanted_args := COALESCE((SELECT pg_catalog.decode(pg_catalog.string_agg(
                      pg_catalog.encode(pg_catalog.convert_to(m, 'UTF8'), 'hex') OPERATOR(pg_catalog.||) '00', '' ORDER BY o), 'hex')
                    FROM pg_catalog.unnest(masked) WITH ORDINALITY AS u(m, o)), ''::pg_catalog.bytea);
                  args := pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_literal(m) FROM pg_catalog.unnest(masked) m), ', ');
                  -- tables with arguments get the selecting writers; the others the plain ones, the fast path
                  writer := CASE WHEN args OPERATOR(pg_catalog.=) '' THEN '' ELSE '_selected' END;
                  -- a partitioned table gets statement-level triggers whatever the flavour: row-level ones
                  -- would fire in its partitions and log them, not the table
                  IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) rel)
                     OPERATOR(pg_catalog.=) 'p' THEN
                    flavour := 'statement';
                  END IF;
                  IF flavour OPERATOR(pg_catalog.=) 'row' THEN
                    wanted := ARRAY[%2$s || '_row', %2$s || '_truncate'];
                    IF notify THEN
                      wanted := wanted || (%2$s || '_notify');
                    END IF;
                  ELSE
                    wanted := ARRAY[%2$s || '_insert', %2$s || '_update', %2$s || '_delete', %2$s || '_truncate'];
                  END IF;
                  SELECT pg_catalog.array_agg(tg.tgname::pg_catalog.text ORDER BY tg.tgname) INTO present
                  FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) tg.tgfoid
                  WHERE tg.tgrelid OPERATOR(pg_catalog.=) rel AND tg.tgparentid OPERATOR(pg_catalog.=) 0
                    AND p.pronamespace OPERATOR(pg_catalog.=) %3$s::pg_catalog.regnamespace;
                  IF present IS NOT NULL AND present OPERATOR(pg_catalog.@>) wanted
                     AND present OPERATOR(pg_catalog.<@) wanted
                     AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger tg
                       WHERE tg.tgrelid OPERATOR(pg_catalog.=) rel AND tg.tgparentid OPERATOR(pg_catalog.=) 0
                         AND tg.tgname::pg_catalog.text OPERATOR(pg_catalog.=) ANY (ARRAY[%2$s || '_row', %2$s || '_insert',
                           %2$s || '_update', %2$s || '_delete'])
                         AND tg.tgargs OPERATOR(pg_catalog.<>) wanted_args) THEN
                    RETURN;
                  END IF;
                  FOREACH t IN ARRAY COALESCE(present, '{}') LOOP
                    EXECUTE pg_catalog.format('DROP TRIGGER %%I ON %%s', t, rel);
                  END LOOP;
                  IF flavour OPERATOR(pg_catalog.=) 'row' THEN
                    EXECUTE pg_catalog.format('CREATE TRIGGER %%I AFTER INSERT OR UPDATE OR DELETE ON %%s FOR EACH ROW EXECUTE FUNCTION %1$s.audit_changes%%s(%%s)', %2$s || '_row', rel, writer, args);
                    IF notify THEN
                      EXECUTE pg_catalog.format('CREATE TRIGGER %%I AFTER INSERT OR UPDATE OR DELETE ON %%s FOR EACH STATEMENT EXECUTE FUNCTION %1$s.audit_changes_notify()', %2$s || '_notify', rel);
                    END IF;
                  ELSE
                    EXECUTE pg_catalog.format('CREATE TRIGGER %%I AFTER INSERT ON %%s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %1$s.audit_changes_insert%%s(%%s)', %2$s || '_insert', rel, writer, args);
                    EXECUTE pg_catalog.format('CREATE TRIGGER %%I AFTER UPDATE ON %%s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %1$s.audit_changes_update%%s(%%s)', %2$s || '_update', rel, writer, args);
                    EXECUTE pg_catalog.format('CREATE TRIGGER %%I AFTER DELETE ON %%s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %1$s.audit_changes_delete%%s(%%s)', %2$s || '_delete', rel, writer, args);
                  END IF;
                  EXECUTE pg_catalog.format('CREATE TRIGGER %%I AFTER TRUNCATE ON %%s FOR EACH STATEMENT EXECUTE FUNCTION %1$s.audit_changes_truncate()', %2$s || '_truncate', rel);
                END
                $cdckit$""".formatted(s, literal(settings.schema()), literal(settings.schema())));
        sql.add("""
                CREATE OR REPLACE FUNCTION %1$s.claim_table(captured pg_catalog.text, consumer_name pg_catalog.text)
                RETURNS void LANGUAGE plpgsql AS $cdckit$
                DECLARE
                  owner_name pg_catalog.text;
                BEGIN
                  DELETE FROM %1$s.consumer c
                  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) c.relid);
                  INSERT INTO %1$s.consumer (relid, consumer)
                  VALUES (captured::pg_catalog.regclass, consumer_name) ON CONFLICT (relid) DO NOTHING;
                  SELECT c.consumer INTO owner_name FROM %1$s.consumer c
                  WHERE c.relid OPERATOR(pg_catalog.=) captured::pg_catalog.regclass;
                  IF owner_name OPERATOR(pg_catalog.<>) consumer_name THEN
                    RAISE EXCEPTION 'table %% is already captured by source "%%" through schema %%, and a table has one consumer per log schema',
                      captured, owner_name, %2$s
                      USING HINT = pg_catalog.format('Use cdc.name=%%s, or give this source its own cdc.trigger.schema, or hand the table over after stopping "%%s": DELETE FROM %%s.consumer WHERE relid = %%L::regclass;',
                        owner_name, owner_name, %3$s, captured);
                  END IF;
                END
                $cdckit$""".formatted(s, literal(settings.schema()), literal(s)));
        return sql;
    }

    /** The variables {@link #writingImages} needs. */
    private static final String IMAGE_VARIABLES = "date_style pg_catalog.text; interval_style pg_catalog.text; "
            + "float_digits pg_catalog.text;";
    /** The DECLARE section of the row flavour's function. */
    private static final String ROW_DECLARE = "DECLARE " + IMAGE_VARIABLES;
    /** The DECLARE section of the row flavour's selecting function. */
    private static final String ROW_SELECTED_DECLARE = "DECLARE mask pg_catalog.jsonb; keep boolean; " + IMAGE_VARIABLES;
    /** The DECLARE section of the statement flavour's functions ({@code n}: rows written). */
    private static final String STATEMENT_DECLARE = "DECLARE n pg_catalog.int8; " + IMAGE_VARIABLES;
    /** The DECLARE section of the statement flavour's selecting functions. */
    private static final String STATEMENT_SELECTED_DECLARE = "DECLARE n pg_catalog.int8; mask pg_catalog.jsonb; "
            + IMAGE_VARIABLES;

    /** A text[] literal of {@code values}, or NULL::text[] when there are none. */
    private static String textArray(List<String> values) {
        if (values == null || values.isEmpty()) {
            return "NULL::pg_catalog.text[]";
        }
        return "ARRAY[" + String.join(", ", values.stream().map(InstallScript::literal).toList()) + "]::pg_catalog.text[]";
    }

    /**
     * Runs {@code insert}, which writes row images as text, with the output settings the reader
     * parses them with. The text form of a date, an interval or a float depends on the writer's
     * {@code DateStyle}, {@code IntervalStyle} and {@code extra_float_digits}: {@code 05/11/2026}
     * written under {@code DateStyle=SQL, DMY} would be read back as 11 May, and with
     * {@code extra_float_digits=0} a float loses digits. A session with the defaults (ISO dates,
     * {@code postgres} intervals, exact floats) writes directly; any other sets the three for the
     * statement and restores them afterwards (an error aborts the (sub)transaction, which restores
     * them too). With {@code countRows}, {@code n} is set to the number of rows written.
     */
    private static String writingImages(String insert, boolean countRows) {
        String indented = insert.stripIndent().strip().replace("\n", "\n  ")
                + (countRows ? "\n  GET DIAGNOSTICS n = ROW_COUNT;" : "");
        return """
                  IF pg_catalog.current_setting('DateStyle') OPERATOR(pg_catalog.~~) 'ISO%%'
                     AND pg_catalog.current_setting('IntervalStyle') OPERATOR(pg_catalog.=) 'postgres'
                     AND pg_catalog.current_setting('extra_float_digits') OPERATOR(pg_catalog.=) ANY ('{1,2,3}'::pg_catalog.text[]) THEN
                    %1$s
                  ELSE
                    date_style := pg_catalog.current_setting('DateStyle');
                    interval_style := pg_catalog.current_setting('IntervalStyle');
                    float_digits := pg_catalog.current_setting('extra_float_digits');
                    PERFORM pg_catalog.set_config('DateStyle', 'ISO', true), pg_catalog.set_config('IntervalStyle', 'postgres', true),
                            pg_catalog.set_config('extra_float_digits', '3', true);
                    %1$s
                    PERFORM pg_catalog.set_config('DateStyle', date_style, true), pg_catalog.set_config('IntervalStyle', interval_style, true),
                            pg_catalog.set_config('extra_float_digits', float_digits, true);
                  END IF;""".formatted(indented);
    }

    /**
     * The two {@code int4} keys of the captured table's (TG_RELID) advisory lock for the given
     * purpose; see {@link ReaderPresence}. The hash of a constant is computed once, when PL/pgSQL
     * plans the expression.
     */
    private String lockKey(String purpose) {
        return "pg_catalog.hashtext(" + literal(ReaderPresence.lockName(settings.schema(), purpose))
                + "), TG_RELID::pg_catalog.int4";
    }

    private String function(String name, String comment, String declare, String body) {
        return """
                CREATE OR REPLACE FUNCTION %1$s.%2$s() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $cdckit$
                -- %3$s
                %4$s
                BEGIN
                %5$s
                  RETURN NULL;
                END
                $cdckit$""".formatted(s, name, comment, declare, body);
    }

    /** A SQL string literal (standard_conforming_strings on, which the scripts set). */
    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
