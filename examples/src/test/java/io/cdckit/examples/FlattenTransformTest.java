package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.examples.FlattenTransform.DeleteHandling;
import io.cdckit.examples.FlattenTransform.Field;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresServer;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class FlattenTransformTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @EveryMode
    void flattensCapturedChangesLikeExtractNewRecordState(String mode, PostgresServer server) {
        CapturedEvents captured = new CapturedEvents();
        List<ChangeEvent> events;
        try (ShopCapture shop = new ShopCapture(server, mode)) {
            TestDatabase db = shop.db();
            shop.start("flatten", captured);
            // one step at a time, each seen before the next: a poll sees only the latest state of a row
            db.execute("INSERT INTO public.products (id, name, price, stock) VALUES (1, 'Pen', 1.50, 10)");
            captured.awaitAtLeast(1, WAIT);
            db.execute("UPDATE public.products SET stock = 9, updated_at = clock_timestamp() WHERE id = 1");
            captured.awaitAtLeast(2, WAIT);
            db.execute("DELETE FROM public.products WHERE id = 1");
            captured.awaitAtLeast(3, WAIT);
            db.execute("INSERT INTO public.products (id, name, price, stock) VALUES (2, 'Ink', 4.00, 5)");
            captured.awaitAtLeast(4, WAIT);
            db.execute("TRUNCATE public.products");
            events = captured.awaitAtLeast(5, WAIT);
            assertThat(events).hasSize(5);

            FlattenTransform rewrite = new FlattenTransform(DeleteHandling.REWRITE, Field.OP, Field.TABLE, Field.LSN);
            List<Optional<Map<String, Object>>> rows = events.stream().map(rewrite::apply).toList();
            assertThat(rows.get(0)).hasValueSatisfying(r -> {
                assertThat(r).containsEntry("id", 1L).containsEntry("stock", 10).containsEntry("__op", "c")
                        .containsEntry("__table", "products").containsEntry("__deleted", "false");
                if (mode.equals("log")) {
                    assertThat(r.get("__lsn")).isInstanceOf(Long.class);
                } else {
                    assertThat(r).as("only the log strategy knows WAL positions").containsEntry("__lsn", null);
                }
            });
            assertThat(rows.get(1)).hasValueSatisfying(r -> assertThat(r).containsEntry("stock", 9)
                    .containsEntry("__op", "u"));
            assertThat(rows.get(2)).hasValueSatisfying(r -> {
                assertThat(r).containsEntry("id", 1L).containsEntry("__op", "d").containsEntry("__deleted", "true");
                if (shop.polling()) {
                    assertThat(r).as("no before image: the key is all a delete has")
                            .containsOnlyKeys("id", "__op", "__table", "__lsn", "__deleted");
                } else {
                    assertThat(r).as("the before image").containsEntry("name", "Pen").containsEntry("stock", 9);
                }
            });
            assertThat(rows.get(3)).hasValueSatisfying(r -> assertThat(r).containsEntry("id", 2L)
                    .containsEntry("__op", "c"));
            if (shop.polling()) {
                // TRUNCATE is not seen as such: key reconciliation finds the row it removed
                assertThat(rows.get(4)).hasValueSatisfying(r -> assertThat(r).containsEntry("id", 2L)
                        .containsEntry("__op", "d").containsEntry("__deleted", "true"));
            } else {
                assertThat(rows.get(4)).as("a truncate has no flat row").isEmpty();
            }
        }

        FlattenTransform drop = new FlattenTransform(DeleteHandling.DROP);
        assertThat(events.stream().map(drop::apply).filter(Optional::isPresent).map(Optional::get))
                .hasSize(3).allSatisfy(r -> assertThat(r).doesNotContainKeys("__deleted", "__op"));
    }
}
