package io.cdckit.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableIdTest {

    @Test
    void unquotedPartsFoldToLowerCase() {
        assertThat(TableId.parse("Public.Orders")).isEqualTo(new TableId("public", "orders"));
        assertThat(TableId.parse("orders")).isEqualTo(new TableId("public", "orders"));
    }

    @Test
    void quotedPartsKeepCaseSpacesDotsAndQuotes() {
        TableId id = TableId.parse("\"My Schema\".\"Order \"\"Lines\"\".v2\"");
        assertThat(id).isEqualTo(new TableId("My Schema", "Order \"Lines\".v2"));
        assertThat(id.quoted()).isEqualTo("\"My Schema\".\"Order \"\"Lines\"\".v2\"");
        assertThat(TableId.parse(id.toString())).isEqualTo(id);
    }

    @Test
    void unicodeRoundTrips() {
        TableId id = new TableId("données", "Bestellungen_ü");
        assertThat(TableId.parse(id.toString())).isEqualTo(id);
    }

    @Test
    void rejectsWhatIsNotATableName() {
        assertThatThrownBy(() -> TableId.parse("a.b.c")).hasMessageContaining("3 parts");
        assertThatThrownBy(() -> TableId.parse("orders;drop table x")).hasMessageContaining("double-quoted");
        assertThatThrownBy(() -> TableId.parse("\"open")).hasMessageContaining("unclosed");
        assertThatThrownBy(() -> TableId.parse("a.")).hasMessageContaining("not a table name");
        assertThatThrownBy(() -> TableId.quote("a\0b")).hasMessageContaining("NUL");
    }
}
