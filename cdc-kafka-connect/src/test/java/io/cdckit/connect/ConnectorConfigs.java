package io.cdckit.connect;

import io.cdckit.api.TableId;
import io.cdckit.testkit.TestDatabase;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Connector configs the tests share: a database, a mode (or the log strategy's native engine), tables; short polls. */
final class ConnectorConfigs {

    private ConnectorConfigs() {
    }

    /**
     * The connector's config for {@code mode}: a {@code cdc.mode}, or {@code log-pgoutput} for the
     * log strategy on its native engine ({@code cdc.log.engine=pgoutput}).
     */
    static Map<String, String> cdckit(TestDatabase db, String mode, String prefix, TableId... tables) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", CdcSourceConnector.class.getName());
        c.put("tasks.max", "2");
        c.put("topic.prefix", prefix);
        if (mode.equals("log-pgoutput")) {
            c.put("cdc.log.engine", "pgoutput");
            mode = "log";
        }
        c.put("cdc.mode", mode);
        c.putAll(db.cdcProperties());
        c.put("cdc.tables", Arrays.stream(tables).map(TableId::toString).collect(Collectors.joining(",")));
        c.put("cdc.poll.interval", "50ms");
        c.put("cdc.reconnect.initial-delay", "200ms");
        if (mode.equals("log")) {
            c.put("cdc.log.slot", prefix.replace('-', '_') + "_slot");
            c.put("cdc.log.publication", prefix.replace('-', '_') + "_pub");
        }
        return c;
    }

    static String topic(String prefix, TableId table) {
        return prefix + "." + table.schema() + "." + table.table();
    }
}
