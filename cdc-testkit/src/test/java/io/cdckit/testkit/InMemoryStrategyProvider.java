package io.cdckit.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ConfigKey;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.ColumnDecoder;
import io.cdckit.api.jdbc.TableSchema;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only strategy (mode {@code inmemory}), never shipped: row triggers {@code pg_notify} each
 * change, a JVM-wide {@link InMemoryJournal} keeps them in commit order, and the reader serves
 * the journal after a position (the journal index). Row images travel as the row's text form and
 * are decoded with the table's row type and {@link ColumnDecoder}, as a real strategy would.
 * It exists to prove the contract tests and the replica verifier.
 */
public final class InMemoryStrategyProvider implements ChangeSourceProvider {

    @Override
    public String mode() {
        return "inmemory";
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of();
    }

    @Override
    public ChangeReader createReader(CdcConfig config, io.cdckit.api.jdbc.SourceConnections connections) {
        if (io.cdckit.api.spi.WholeTransactions.requested(config)) {
            throw new io.cdckit.api.CdcException("cdc.batch.transactions=whole: the in-memory strategy does not see "
                    + "transactions");
        }
        return new Reader(config);
    }

    private static final class Reader implements ChangeReader {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final CdcConfig config;
        private final Map<TableId, TableSchema> schemas = new HashMap<>();
        private Connection connection;
        private InMemoryJournal journal;
        private int next;
        private Position start;

        Reader(CdcConfig config) {
            this.config = config;
        }

        @Override
        public void open(Position after) throws SQLException {
            connection = DriverManager.getConnection(config.jdbcUrl(), config.jdbcUser(), config.jdbcPassword());
            journal = InMemoryJournal.forDatabase(config.jdbcUrl(), config.jdbcUser(), config.jdbcPassword());
            try (Statement st = connection.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS cdckit_inmemory");
                st.execute("CREATE SEQUENCE IF NOT EXISTS cdckit_inmemory.seq");
                st.execute("""
                        CREATE OR REPLACE FUNCTION cdckit_inmemory.capture() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                          PERFORM pg_notify('%s', jsonb_build_object(
                            'seq', nextval('cdckit_inmemory.seq'), 'op', TG_OP,
                            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'xid', txid_current(),
                            'old', CASE WHEN TG_LEVEL = 'ROW' AND TG_OP IN ('UPDATE', 'DELETE') THEN OLD::text END,
                            'new', CASE WHEN TG_LEVEL = 'ROW' AND TG_OP IN ('INSERT', 'UPDATE') THEN NEW::text END
                          )::text);
                          RETURN NULL;
                        END $$""".formatted(InMemoryJournal.CHANNEL));
                for (TableId t : config.tables()) {
                    schemas.put(t, TableSchema.load(connection, t, config.get(CdcConfig.KEY_COLUMNS)).requirePrimaryKey());
                    st.execute("DROP TRIGGER IF EXISTS cdckit_inmemory_row ON " + t.quoted());
                    st.execute("CREATE TRIGGER cdckit_inmemory_row AFTER INSERT OR UPDATE OR DELETE ON "
                            + t.quoted() + " FOR EACH ROW EXECUTE FUNCTION cdckit_inmemory.capture()");
                    st.execute("DROP TRIGGER IF EXISTS cdckit_inmemory_truncate ON " + t.quoted());
                    st.execute("CREATE TRIGGER cdckit_inmemory_truncate AFTER TRUNCATE ON "
                            + t.quoted() + " FOR EACH STATEMENT EXECUTE FUNCTION cdckit_inmemory.capture()");
                }
            }
            next = after == null ? journal.size() : (int) after.getLong("index");
            start = after == null ? Position.of("index", next) : null;
        }

        @Override
        public Position startPosition() {
            return start;
        }

        @Override
        public List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception {
            if (!connection.isValid(5)) {
                // like a real strategy, notice a lost session even while nothing changes
                throw new SQLException("The in-memory strategy's session was lost", "08006");
            }
            List<String> entries = journal.read(next, maxEvents, timeout.toMillis());
            List<ChangeEvent> out = new ArrayList<>();
            for (String payload : entries) {
                next++;
                JsonNode entry = JSON.readTree(payload);
                TableId table = new TableId(entry.get("schema").asText(), entry.get("table").asText());
                TableSchema schema = schemas.get(table);
                if (schema == null) {
                    continue;
                }
                out.add(toEvent(payload, entry, schema, next));
            }
            return out;
        }

        private ChangeEvent toEvent(String payload, JsonNode entry, TableSchema schema, int position)
                throws SQLException {
            Op op = switch (entry.get("op").asText()) {
                case "INSERT" -> Op.CREATE;
                case "UPDATE" -> Op.UPDATE;
                case "DELETE" -> Op.DELETE;
                default -> Op.TRUNCATE;
            };
            Map<String, Object> before = entry.get("old").isNull() ? null : decode(schema, payload, "old");
            Map<String, Object> after = entry.get("new").isNull() ? null : decode(schema, payload, "new");
            Map<String, Object> key = schema.keyOf(after != null ? after : before);
            SourceInfo source = new SourceInfo(io.cdckit.api.CdckitVersion.get(), "inmemory", config.name(), null, SourceInfo.SNAPSHOT_FALSE,
                    connection.getCatalog(), schema.id().schema(), schema.id().table(), entry.get("xid").asLong(),
                    null, null, entry.get("seq").asText());
            return new ChangeEvent(op, before, after, key, source, System.currentTimeMillis(), null,
                    Position.of("index", position));
        }

        /**
         * Decodes image {@code old} or {@code new} of the payload, the row's text form, with the
         * table's own row type: exact for every type, and SQL NULL stays distinct from a jsonb
         * {@code null} (a jsonb image would merge the two).
         */
        private Map<String, Object> decode(TableSchema schema, String payload, String image) throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement("SELECT ((?::jsonb ->> ?)::"
                    + schema.id().quoted() + ").*")) {
                ps.setString(1, payload);
                ps.setString(2, image);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return ColumnDecoder.row(rs);
                }
            }
        }

        @Override
        public void close() throws SQLException {
            if (connection != null) {
                connection.close();
            }
        }
    }
}
