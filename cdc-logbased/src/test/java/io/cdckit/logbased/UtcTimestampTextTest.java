package io.cdckit.logbased;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The direct reading of Debezium's UTC timestamp text agrees with the JDK's ISO parser. */
class UtcTimestampTextTest {

    private static Instant jdk(String s) {
        return Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(s));
    }

    @Test
    void agreesWithTheIsoParserOnRandomInstantsAndFractionLengths() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            long seconds = Math.floorMod(random.nextLong(), 253_402_300_800L); // 0001-01-01 .. 9999-12-31
            seconds -= 62_135_596_800L;
            Instant instant = Instant.ofEpochSecond(seconds, random.nextInt(1_000_000_000));
            String text = DateTimeFormatter.ISO_INSTANT.format(instant); // drops trailing zero groups
            assertThat(UtcTimestampText.parse(text)).as(text).isEqualTo(jdk(text)).isEqualTo(instant);
            String micros = text.replaceAll("\\.(\\d{1,6})\\d*Z$", ".$1Z").replaceAll("\\.(\\d)Z$", ".$10Z");
            assertThat(UtcTimestampText.parse(micros)).as(micros).isEqualTo(jdk(micros));
        }
    }

    @Test
    void readsTheShapesDebeziumWrites() {
        for (String s : new String[] {"2026-11-25T00:23:24Z", "2026-11-25T00:23:24.3Z", "2026-11-25T00:23:24.319880Z",
                "2026-11-25T00:23:24.123456789Z", "1970-01-01T00:00:00Z", "2000-02-29T23:59:59.999999Z"}) {
            assertThat(UtcTimestampText.parse(s)).as(s).isEqualTo(jdk(s));
        }
    }

    @Test
    void otherShapesGoThroughTheIsoParser() {
        assertThat(UtcTimestampText.parse("2026-11-25T01:23:24.5+01:00")).isEqualTo(Instant.parse("2026-11-25T00:23:24.5Z"));
        assertThat(UtcTimestampText.parse("+12026-11-25T00:00:00Z")).isEqualTo(jdk("+12026-11-25T00:00:00Z"));
        assertThatThrownBy(() -> UtcTimestampText.parse("2026-02-30T00:00:00Z")).isInstanceOf(DateTimeParseException.class);
        assertThat(UtcTimestampText.parse("2026-11-25T00:00:00.Z")).isEqualTo(jdk("2026-11-25T00:00:00.Z"));
        assertThatThrownBy(() -> UtcTimestampText.parse("2026-11-25 00:00:00Z")).isInstanceOf(DateTimeParseException.class);
    }
}
