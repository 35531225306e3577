package io.cdckit.trigger;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Images are text, and the text form of dates, intervals and floats depends on the writing
 * session's {@code DateStyle}, {@code IntervalStyle} and {@code extra_float_digits}. A writer with
 * other settings than the defaults must still be captured with its exact values, and must find
 * its own settings unchanged after the statement.
 */
@PostgresTest
class WriterSettingsTest {

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void aWriterWithOtherOutputSettingsIsCapturedWithItsExactValues(String flavour, TestDatabase db) throws Exception {
        // PostgreSQL 13 reports a changed DateStyle to the client at once, even inside a statement,
        // and pgjdbc then closes the connection; from 14 on only the value at the statement's end is
        // reported. The capture itself works the same on 13.
        assumeTrue(db.queryForLong("SELECT pg_catalog.current_setting('server_version_num')::bigint") >= 140000,
                "a pgjdbc writer can only switch DateStyle within a statement from PostgreSQL 14 on");
        TableId t = new TableId("public", "styles_" + flavour);
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, "
                + "i interval, f float8)");
        CapturedEvents captured = new CapturedEvents();
        try (TriggerTestSources sources = new TriggerTestSources(db);
             Connection writer = db.connect()) {
            sources.start(sources.config("styles-" + flavour, flavour, t), OffsetStores.memory(), captured);
            try (Statement st = writer.createStatement()) {
                // what a German or British psql or libpq client might have set. pgjdbc insists on
                // ISO dates for its own session, so the writer sets them only inside one statement.
                st.execute("""
                        DO $$
                        DECLARE
                          iso text := pg_catalog.current_setting('DateStyle');
                          found text;
                        BEGIN
                          PERFORM pg_catalog.set_config('DateStyle', 'SQL, DMY', true),
                                  pg_catalog.set_config('IntervalStyle', 'sql_standard', true),
                                  pg_catalog.set_config('extra_float_digits', '0', true);
                          INSERT INTO %1$s VALUES (1, '05/11/2026', '05/11/2026 10:20:30.5', '05/11/2026 10:20:30.5+00',
                                                   '-1 day +2 hours', 0.1::float8 + 0.2::float8);
                          UPDATE %1$s SET d = '03/02/2026', f = 1::float8 / 3 WHERE id = 1;
                          DELETE FROM %1$s WHERE id = 1;
                          found := pg_catalog.concat_ws(' / ', pg_catalog.current_setting('DateStyle'),
                                   pg_catalog.current_setting('IntervalStyle'), pg_catalog.current_setting('extra_float_digits'));
                          IF found <> 'SQL, DMY / sql_standard / 0' THEN
                            RAISE EXCEPTION 'the capture changed the writer''s settings to %%', found;
                          END IF;
                          PERFORM pg_catalog.set_config('DateStyle', iso, true);
                        END
                        $$""".formatted(t.quoted()));
            }
            List<ChangeEvent> events = captured.awaitAtLeast(3, Duration.ofSeconds(30));
            assertThat(events).extracting(ChangeEvent::op).containsExactly(
                    Op.CREATE, Op.UPDATE, Op.DELETE);

            ChangeEvent insert = events.get(0);
            assertThat(insert.after().get("d")).isEqualTo(LocalDate.of(2026, 11, 5));
            assertThat(insert.after().get("ts")).isEqualTo(LocalDateTime.of(2026, 11, 5, 10, 20, 30, 500_000_000));
            assertThat(insert.after().get("tz")).isEqualTo(Instant.parse("2026-11-05T10:20:30.5Z"));
            assertThat(insert.after().get("i")).isEqualTo("-1 days +02:00:00");
            assertThat(insert.after().get("f")).isEqualTo(0.1 + 0.2);

            ChangeEvent update = events.get(1);
            assertThat(update.before().get("d")).isEqualTo(LocalDate.of(2026, 11, 5));
            assertThat(update.before().get("f")).isEqualTo(0.1 + 0.2);
            assertThat(update.after().get("d")).isEqualTo(LocalDate.of(2026, 2, 3));
            assertThat(update.after().get("f")).isEqualTo(1.0 / 3);

            ChangeEvent delete = events.get(2);
            assertThat(delete.before().get("d")).isEqualTo(LocalDate.of(2026, 2, 3));
            assertThat(delete.before().get("i")).isEqualTo("-1 days +02:00:00");
        }
    }

}
