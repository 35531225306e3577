package io.cdckit.api;

import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code cdc.key.columns}: parsing, SQL identifier folding, Debezium's form, errors. */
class KeyColumnsTest {

    @Test
    void parsesTablesAndColumnsFoldingUnquotedNames() {
        TableColumns k = TableColumns.parse("public.orders:Order_No; \"Sales Q1\".\"Lines;x\":order_no, \"Line:No\"");
        assertThat(k.of(new TableId("public", "orders"))).containsExactly("order_no");
        assertThat(k.of(new TableId("Sales Q1", "Lines;x"))).containsExactly("order_no", "Line:No");
        assertThat(k.of(new TableId("public", "other"))).isNull();
        assertThat(TableColumns.parse(k.toString())).isEqualTo(k);
    }

    @Test
    void debeziumsFormQuotesTableNamesAsLiterals() {
        TableColumns k = TableColumns.parse("public.orders:a,b");
        assertThat(k.debeziumValue()).isEqualTo("\\Qpublic\\E\\.\\Qorders\\E:a,b");
        assertThat("public.orders").matches(k.debeziumValue().split(":")[0]);
        assertThat("publicXorders").doesNotMatch(k.debeziumValue().split(":")[0]);
    }

    @Test
    void badValuesNameTheKeyAndWhatIsExpected() {
        assertThatThrownBy(() -> CdcConfig.builder().mode("trigger").jdbc("jdbc:postgresql://h/db", "u", "p")
                .tables("public.t").set("cdc.key.columns", "public.t").build())
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.key.columns")
                .hasMessageContaining("schema.table:column,column");
        assertThatThrownBy(() -> TableColumns.parse("public.t:a;public.t:b"))
                .hasMessageContaining("public.t has two");
        assertThat(TableColumns.parse(" ; ").columns()).isEmpty();
    }
}
