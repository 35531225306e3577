package io.cdckit.connect;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ConfigProblem;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.jdbc.TableSchema;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks of a connector's validation that need the database: that it answers with the
 * configured credentials and TLS settings, that every table exists and is readable, and that
 * the columns {@code cdc.columns.*} name exist and may be excluded or masked.
 */
final class DatabaseCheck {

    private DatabaseCheck() {
    }

    static List<ConfigProblem> problems(CdcConfig config) {
        List<ConfigProblem> problems = new ArrayList<>();
        try (SourceConnections connections = SourceConnections.create(config);
             Connection c = connections.requireUrl("the cdckit connector").open("connector validation")) {
            io.cdckit.api.jdbc.TablePatterns patterns = io.cdckit.api.jdbc.TablePatterns.of(config);
            if (patterns.dynamic()) {
                try {
                    patterns.resolve(c);
                } catch (CdcException e) {
                    problems.add(new ConfigProblem(CdcConfig.TABLES_INCLUDE.name(), e.getMessage()));
                }
            }
            for (TableId t : config.tables()) {
                try {
                    TableSchema.load(c, t);
                } catch (CdcException e) {
                    problems.add(new ConfigProblem(CdcConfig.TABLES.name(), e.getMessage()));
                }
            }
            if (problems.isEmpty()) {
                try {
                    io.cdckit.api.ColumnSelection.of(config).check(c, config);
                    io.cdckit.api.RowFilters.of(config).check(c, config);
                } catch (CdcException e) {
                    problems.add(new ConfigProblem(ConnectorSettings.keyNamedIn(e.getMessage()), e.getMessage()));
                }
            }
        } catch (CdcException e) {
            problems.add(new ConfigProblem(ConnectorSettings.keyNamedIn(e.getMessage()), e.getMessage()));
        } catch (SQLException e) {
            String key = e.getSQLState() != null && e.getSQLState().startsWith("28") ? CdcConfig.JDBC_USER.name()
                    : CdcConfig.JDBC_URL.name();
            problems.add(new ConfigProblem(key, e.getMessage()));
        }
        return problems;
    }
}
