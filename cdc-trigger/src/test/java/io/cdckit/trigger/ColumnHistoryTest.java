package io.cdckit.trigger;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ColumnHistoryTest {

    @Test
    void anImageWithoutLaterColumnsGetsThemAsNull() {
        assertThat(ColumnHistory.mapping(List.of(false, false, false), 2)).containsExactly(0, 1, -1);
        assertThat(ColumnHistory.mapping(List.of(false, false, false), 3)).containsExactly(0, 1, 2);
    }

    @Test
    void anImageFromBeforeADropLeavesTheDroppedFieldOut() {
        assertThat(ColumnHistory.mapping(List.of(false, true, false), 3)).containsExactly(0, 2);
        assertThat(ColumnHistory.mapping(List.of(false, true, false), 2)).containsExactly(0, 1);
    }

    @Test
    void anImageAsWideAsTheTableIsReadWithTheCurrentColumns() {
        // id, a (dropped), b, c: 3 fields are taken as (id, b, c), as logged since the drop
        assertThat(ColumnHistory.mapping(List.of(false, true, false, false), 3)).containsExactly(0, 1, 2);
        assertThat(ColumnHistory.mapping(List.of(false, true, false, false), 4)).containsExactly(0, 2, 3);
    }

    @Test
    void readingsThatDisagreeAreRefused() {
        // id, a (dropped), b, d (dropped), e: 4 fields are (id, a, b, d), (id, b, d, e) or (id, a, b, e)
        assertThat(ColumnHistory.mapping(List.of(false, true, false, true, false), 4)).isNull();
    }

    @Test
    void moreFieldsThanTheTableEverHadIsNoReading() {
        assertThat(ColumnHistory.mapping(List.of(false, false), 3)).isNull();
    }
}
