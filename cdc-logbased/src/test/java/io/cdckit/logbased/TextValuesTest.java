package io.cdckit.logbased;

import io.cdckit.api.jdbc.ColumnDecoder;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The native engine decodes PostgreSQL's text output into the same values {@link ColumnDecoder}
 * reads through the driver, also for the values the type matrix does not hold: infinities, dates
 * before Christ, special floats and numerics, offsets of half an hour, nested arrays.
 */
@PostgresTest
class TextValuesTest {

    private static final List<String> VALUES = List.of(
            "'infinity'::date", "'-infinity'::date", "'0044-03-15 BC'::date", "'2024-02-29'::date",
            "'infinity'::timestamp", "'0044-03-15 10:00:00.5 BC'::timestamp", "'2024-02-29 13:45:30.000001'::timestamp",
            "'-infinity'::timestamptz", "'2024-02-29 13:45:30.123456+05:30'::timestamptz",
            "'0001-01-01 00:00:00+00'::timestamptz",
            "'NaN'::numeric", "'-0.000100'::numeric", "'-Infinity'::float8", "'1e-300'::float8", "'NaN'::float4",
            "'\\x00ff10'::bytea", "''::bytea", "true", "'0e37df36-f698-11e6-8dd4-cb9ced3df976'::uuid",
            "'{\"a\": [1, 2.50]}'::jsonb", "'1 year 2 mons 3 days 04:05:06.5'::interval", "'12.34'::money",
            "'10.0.0.1/8'::inet", "ARRAY[[1,NULL],[3,4]]::int4[]", "ARRAY['a\"b', 'c,d', NULL, '']::text[]",
            "ARRAY['2024-01-01 10:00+00']::timestamptz[]", "ARRAY[1.10, NULL]::numeric[]", "'{}'::int8[]",
            "12::int2", "'-2147483648'::int4", "9223372036854775807::int8");

    @Test
    void theTextOfEveryValueDecodesToWhatTheDriverReads(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            for (String value : VALUES) {
                try (ResultSet rs = st.executeQuery("SELECT " + value + ", (" + value + ")::text")) {
                    rs.next();
                    Object expected = ColumnDecoder.decode(rs, 1);
                    String type = rs.getMetaData().getColumnTypeName(1);
                    Object decoded = TextValues.decode(type, rs.getString(2));
                    assertThat(decoded).as("%s (%s) from %s", value, type, rs.getString(2))
                            .isEqualTo(expected);
                }
            }
        }
    }
}
