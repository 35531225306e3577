package io.cdckit.api.jdbc;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The tables a source captures when {@code cdc.tables.include} is set: {@code cdc.tables} plus
 * every ordinary or partitioned table whose {@code schema.table} (unquoted, as the catalog spells
 * it) matches an include pattern and no {@code cdc.tables.exclude} pattern. Patterns are Java
 * regular expressions matched against the whole name, as Debezium's {@code table.include.list}:
 * {@code sales\..*} is every table of schema {@code sales}. Partitions are never matched (their
 * changes arrive as their partitioned table's), nor are system schemas or cdckit's own
 * ({@code cdc.offset.jdbc.schema}, {@code cdckit} by default).
 */
public final class TablePatterns {

    private static final String CATALOG = """
            SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> ?
             ORDER BY n.nspname, c.relname""";

    private final List<TableId> explicit;
    private final List<Pattern> include;
    private final List<Pattern> exclude;
    private final String ownSchema;

    private TablePatterns(List<TableId> explicit, List<Pattern> include, List<Pattern> exclude, String ownSchema) {
        this.explicit = explicit;
        this.include = include;
        this.exclude = exclude;
        this.ownSchema = ownSchema;
    }

    /** The patterns of {@code config}. */
    public static TablePatterns of(CdcConfig config) {
        List<TableId> explicit = config.tables() == null ? List.of() : config.tables();
        return new TablePatterns(explicit, patterns(config.get(CdcConfig.TABLES_INCLUDE)),
                patterns(config.get(CdcConfig.TABLES_EXCLUDE)), config.get(CdcConfig.OFFSET_JDBC_SCHEMA));
    }

    /** True when tables are chosen by pattern, so the set is resolved at start and looked at again while running. */
    public boolean dynamic() {
        return !include.isEmpty();
    }

    /**
     * {@code cdc.tables} and the tables of the catalog that the patterns select, explicit ones first.
     *
     * @throws CdcException when nothing is selected, naming the patterns
     */
    public List<TableId> resolve(Connection c) throws SQLException {
        Set<TableId> out = new LinkedHashSet<>(explicit);
        try (PreparedStatement ps = c.prepareStatement(CATALOG)) {
            ps.setString(1, ownSchema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TableId t = new TableId(rs.getString(1), rs.getString(2));
                    if (selects(t)) {
                        out.add(t);
                    }
                }
            }
        }
        if (out.isEmpty()) {
            throw new CdcException("cdc.tables.include " + include + " matches no table in the database"
                    + (exclude.isEmpty() ? "" : " outside cdc.tables.exclude " + exclude) + ": there is nothing to "
                    + "capture. Patterns are Java regular expressions matched against the whole schema.table name "
                    + "(e.g. sales\\..* for every table of schema sales); create a matching table first, or name "
                    + "tables in cdc.tables.");
        }
        return List.copyOf(out);
    }

    /** True when {@code table} matches an include pattern and no exclude pattern. */
    boolean selects(TableId table) {
        String name = table.schema() + "." + table.table();
        return include.stream().anyMatch(p -> p.matcher(name).matches())
                && exclude.stream().noneMatch(p -> p.matcher(name).matches());
    }

    /** Parses {@code cdc.tables.include}/{@code exclude}: comma-separated regular expressions. */
    public static List<Pattern> parse(String raw) {
        List<Pattern> out = new ArrayList<>();
        for (String part : raw.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            try {
                out.add(Pattern.compile(p));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("comma-separated Java regular expressions over schema.table; '"
                        + p + "' is not one: " + e.getDescription());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("at least one pattern, e.g. sales\\..*");
        }
        return List.copyOf(out);
    }

    private static List<Pattern> patterns(List<Pattern> configured) {
        return configured == null ? List.of() : configured;
    }
}
