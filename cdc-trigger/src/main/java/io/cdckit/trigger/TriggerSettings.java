package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.RowFilters;
import io.cdckit.api.TableColumns;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.DdlLockWait;

import java.time.Duration;
import java.util.List;

/**
 * The trigger strategy's part of a {@link CdcConfig}.
 *
 * @param schema    schema of the log and functions
 * @param flavour   row- or statement-level triggers
 * @param install   install on start, or expect a DBA to have done it
 * @param retention how long consumed entries are kept; zero deletes them at once
 * @param notifyReader whether triggers NOTIFY the reader
 * @param consumer  the source name ({@code cdc.name}) that owns the captured tables
 * @param tables    the captured tables
 * @param ddl       how install and uninstall wait for the captured tables' locks
 * @param included  {@code cdc.columns.include}: the triggers log only these columns' values (and the key's)
 * @param excluded  {@code cdc.columns.exclude}: the triggers log these columns as NULL
 * @param keys      {@code cdc.key.columns}: key columns, never left out
 * @param filters   {@code cdc.filter.*}: the triggers log only rows whose old or new image matches
 */
record TriggerSettings(String schema, Flavour flavour, boolean install, Duration retention, boolean notifyReader,
                       String consumer, List<TableId> tables, DdlLockWait ddl, TableColumns included,
                       TableColumns excluded, TableColumns keys, RowFilters filters) {

    /** Row- or statement-level capture. */
    enum Flavour {
        ROW, STATEMENT
    }

    static TriggerSettings of(CdcConfig config) {
        return new TriggerSettings(config.get(TriggerChangeSourceProvider.SCHEMA),
                "row".equals(config.get(TriggerChangeSourceProvider.FLAVOUR)) ? Flavour.ROW : Flavour.STATEMENT,
                config.get(TriggerChangeSourceProvider.INSTALL), config.get(TriggerChangeSourceProvider.RETENTION),
                config.get(TriggerChangeSourceProvider.NOTIFY), config.name(), config.tables(),
                DdlLockWait.of(config), orNone(config.get(CdcConfig.COLUMNS_INCLUDE)),
                orNone(config.get(CdcConfig.COLUMNS_EXCLUDE)), orNone(config.get(CdcConfig.KEY_COLUMNS)),
                RowFilters.of(config));
    }

    private static TableColumns orNone(TableColumns c) {
        return c == null ? TableColumns.NONE : c;
    }

    /** The schema, quoted for SQL. */
    String quotedSchema() {
        return TableId.quote(schema);
    }

    /** The change log table, quoted. */
    String log() {
        return quotedSchema() + ".change_log";
    }

    /** The LISTEN/NOTIFY channel: the schema name. */
    String channel() {
        return schema;
    }
}
