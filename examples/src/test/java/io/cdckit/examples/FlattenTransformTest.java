package io.cdckit.examples;

import io.cdckit.examples.FlattenTransform.DeleteHandling;
import io.cdckit.examples.FlattenTransform.Field;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class FlattenTransformTest {

    @Test
    void flattensCapturedChangesLikeExtractNewRecordState(TestDatabase db) {
        CapturedEvents captured = new CapturedEvents();
        try (ShopCapture shop = new ShopCapture(db)) {
            shop.start("flatten", captured);
            db.execute("INSERT INTO public.products (id, name, price, stock) VALUES (1, 'Pen', 1.50, 10)",
                    "UPDATE public.products SET stock = 9 WHERE id = 1",
                    "DELETE FROM public.products WHERE id = 1",
                    "TRUNCATE public.products");
            captured.awaitAtLeast(4, Duration.ofSeconds(60));
        }
        FlattenTransform rewrite = new FlattenTransform(DeleteHandling.REWRITE, Field.OP, Field.TABLE, Field.LSN);
        List<Optional<Map<String, Object>>> rows = captured.events().stream().map(rewrite::apply).toList();
        assertThat(rows.get(0)).hasValueSatisfying(r -> {
            assertThat(r).containsEntry("id", 1L).containsEntry("stock", 10).containsEntry("__op", "c")
                    .containsEntry("__table", "products").containsEntry("__deleted", "false");
            assertThat(r.get("__lsn")).isInstanceOf(Long.class);
        });
        assertThat(rows.get(1)).hasValueSatisfying(r -> assertThat(r).containsEntry("stock", 9)
                .containsEntry("__op", "u"));
        assertThat(rows.get(2)).hasValueSatisfying(r -> assertThat(r).containsEntry("id", 1L)
                .containsEntry("__op", "d").containsEntry("__deleted", "true"));
        assertThat(rows.get(3)).as("a truncate has no flat row").isEmpty();

        FlattenTransform drop = new FlattenTransform(DeleteHandling.DROP);
        assertThat(captured.events().stream().map(drop::apply).filter(Optional::isPresent).map(Optional::get))
                .hasSize(2).allSatisfy(r -> assertThat(r).doesNotContainKeys("__deleted", "__op"));
    }
}
