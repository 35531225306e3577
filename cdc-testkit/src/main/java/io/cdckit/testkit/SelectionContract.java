package io.cdckit.testkit;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract cases of choosing and shaping what is captured, which every strategy passes
 * the same way: key columns configured for a table without a primary key
 * ({@code cdc.key.columns}), and the errors that name the fix when a table cannot be keyed.
 */
public abstract class SelectionContract extends ContractTestSupport {

    @Test
    void aTableWithoutPrimaryKeyIsKeyedByItsConfiguredKeyColumns() {
        TableId t = table("nopk");
        db.execute("CREATE TABLE " + t.quoted() + " (order_no int NOT NULL, line int NOT NULL, item text,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE UNIQUE INDEX ON " + t.quoted() + " (order_no, line)",
                "INSERT INTO " + t.quoted() + " (order_no, line, item) VALUES (1, 1, 'before start')");
        boolean snapshots = capabilities().snapshots();
        CdcConfig config = config("nopk", t).toBuilder().set("cdc.snapshot.mode", snapshots ? "initial" : "never")
                .set("cdc.key.columns", t + ":order_no,line").build();
        CapturedEvents captured = new CapturedEvents();
        start(config, OffsetStores.memory(), captured);
        if (snapshots) {
            // the snapshot reads the table in the order of the configured key
            captured.awaitAtLeast(1, e -> e.op().code().equals("r"), waitTime());
        }

        db.execute("INSERT INTO " + t.quoted() + " (order_no, line, item) VALUES (1, 2, 'tea'), (2, 1, 'milk')");
        captured.awaitAtLeast(1, e -> "milk".equals(e.row() == null ? null : e.row().get("item")), waitTime());
        db.execute("UPDATE " + t.quoted() + " SET item = 'green tea', updated_at = clock_timestamp() "
                + "WHERE order_no = 1 AND line = 2");
        captured.awaitAtLeast(1, e -> "green tea".equals(e.row() == null ? null : e.row().get("item")), waitTime());
        if (capabilities().deletes()) {
            db.execute("DELETE FROM " + t.quoted() + " WHERE order_no = 2");
            captured.awaitAtLeast(1, e -> e.op().code().equals("d"), waitTime());
        }
        settle();
        List<ChangeEvent> events = captured.events();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.key()).as("key of %s", e).containsOnlyKeys("order_no", "line");
            if (e.row() != null) {
                assertThat(e.key()).isEqualTo(Map.of("order_no", e.row().get("order_no"), "line", e.row().get("line")));
            }
        });
        assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("order_no") + "/" + e.key().get("line"))
                .contains("c:2/1", "u:1/2");
        if (snapshots) {
            assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("order_no") + "/" + e.key().get("line"))
                    .contains("r:1/1");
        }
        if (capabilities().deletes()) {
            assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("order_no") + "/" + e.key().get("line"))
                    .contains("d:2/1");
        }
    }

    @Test
    void aTableThatCannotBeKeyedIsRefusedNamingBothFixes() {
        TableId t = table("nokey");
        db.execute("CREATE TABLE " + t.quoted() + " (code text, note text,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        assertThatThrownBy(() -> start(config("nokey", t), OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("has no primary key")
                .hasMessageContaining("ADD PRIMARY KEY").hasMessageContaining("cdc.key.columns");

        CdcConfig nullable = config("nokey", t).toBuilder().set("cdc.key.columns", t + ":code").build();
        assertThatThrownBy(() -> start(nullable, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("allows NULL").hasMessageContaining("SET NOT NULL");

        db.execute("ALTER TABLE " + t.quoted() + " ALTER COLUMN code SET NOT NULL");
        assertThatThrownBy(() -> start(nullable, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("no unique index")
                .hasMessageContaining("CREATE UNIQUE INDEX ON " + t.quoted() + " (\"code\")");

        CdcConfig missing = config("nokey", t).toBuilder().set("cdc.key.columns", t + ":kode").build();
        assertThatThrownBy(() -> start(missing, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.key.columns names column 'kode'")
                .hasMessageContaining("code, note, updated_at");
    }
}
