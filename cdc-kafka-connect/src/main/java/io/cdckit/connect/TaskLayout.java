package io.cdckit.connect;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.TableId;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How a source is spread over tasks and streams.
 *
 * <p>The log and trigger strategies read one ordered stream for all their tables (a replication
 * slot; a change log read in commit order), so they run as one task with one stream whatever
 * {@code tasks.max} says. The timestamp strategy polls each table on its own, so each table is
 * a stream of its own, named {@code <cdc.name>.<schema>.<table>}, with its own offsets; the
 * tables are dealt round-robin over {@code min(tasks.max, tables)} tasks. Because offsets belong
 * to tables, not to tasks, changing {@code tasks.max} moves tables between tasks without losing
 * their positions.
 */
final class TaskLayout {

    /** The mode whose tables are independent streams. */
    static final String PER_TABLE_MODE = "timestamp";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");

    private TaskLayout() {
    }

    /** The task configs for {@code props}: each the connector's config with its own {@code cdc.tables}. */
    static List<Map<String, String>> taskConfigs(Map<String, String> props, CdcConfig cdc, int maxTasks) {
        if (!PER_TABLE_MODE.equals(cdc.mode()) || cdc.tables().size() <= 1 || maxTasks <= 1) {
            return List.of(props);
        }
        List<TableId> tables = cdc.tables().stream().sorted().toList();
        int tasks = Math.min(maxTasks, tables.size());
        List<List<TableId>> groups = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < tables.size(); i++) {
            groups.get(i % tasks).add(tables.get(i));
        }
        List<Map<String, String>> configs = new ArrayList<>();
        for (List<TableId> group : groups) {
            Map<String, String> c = new LinkedHashMap<>(props);
            c.put(CdcConfig.TABLES.name(), group.stream().map(TableId::toString).collect(Collectors.joining(",")));
            c.putIfAbsent(CdcConfig.NAME.name(), cdc.name());
            configs.add(c);
        }
        return configs;
    }

    /** The streams of a task whose config is {@code cdc}. */
    static List<CdcConfig> streams(CdcConfig cdc) {
        if (!PER_TABLE_MODE.equals(cdc.mode())) {
            return List.of(cdc);
        }
        List<CdcConfig> streams = new ArrayList<>();
        for (TableId t : cdc.tables()) {
            streams.add(cdc.toBuilder().set(CdcConfig.NAME, streamName(cdc.name(), t))
                    .set(CdcConfig.TABLES, List.of(t)).build());
        }
        return streams;
    }

    /**
     * {@code <source>.<schema>.<table>}; when that is not a legal {@code cdc.name} (other
     * characters, too long), {@code <source>.<first 16 hex digits of the table's SHA-256>}.
     */
    static String streamName(String source, TableId table) {
        String plain = source + "." + table.schema() + "." + table.table();
        if (NAME.matcher(plain).matches()) {
            return plain;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(table.toString().getBytes(StandardCharsets.UTF_8));
            String name = source + "." + HexFormat.of().formatHex(digest, 0, 8);
            return name.length() <= 100 ? name : name.substring(name.length() - 100);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
