package io.cdckit.logbased;

import io.debezium.data.SpecialValueDecimal;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import org.apache.kafka.connect.data.SchemaBuilder;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Debezium converter that keeps what Debezium's own conversion would lose: a {@code numeric}
 * travels as its exact text (Debezium strips trailing zeros of unconstrained numerics), an array
 * as PostgreSQL's array literal with its element type (Debezium cannot carry multi-dimensional
 * arrays). {@link ConnectValues} turns both into the event model's values. Internal: Debezium
 * instantiates it by class name, which is why it is public.
 */
public final class PostgresTextConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {

    /** Schema name of a numeric carried as text. */
    static final String NUMERIC = "io.cdckit.NumericText";
    /** Schema name of an array carried as its literal. */
    static final String ARRAY = "io.cdckit.ArrayText";
    /** Schema parameter naming an array's element type. */
    static final String ELEMENT_TYPE = "element";

    /** Creates the converter; Debezium calls this. */
    public PostgresTextConverter() {
    }

    @Override
    public void configure(Properties props) {
        // nothing to configure
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        String type = column.typeName() == null ? "" : column.typeName().toLowerCase(Locale.ROOT);
        if (type.equals("numeric") || type.equals("decimal")) {
            registration.register(SchemaBuilder.string().name(NUMERIC).optional(), PostgresTextConverter::numeric);
        } else if (type.startsWith("_")) {
            registration.register(SchemaBuilder.string().name(ARRAY).optional()
                    .parameter(ELEMENT_TYPE, type.substring(1)), PostgresTextConverter::array);
        }
    }

    private static Object numeric(Object v) {
        if (v == null || v instanceof String) {
            return v;
        }
        if (v instanceof SpecialValueDecimal s) {
            return s.getDecimalValue().map(BigDecimal::toPlainString).orElseGet(() -> special(s));
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        return v.toString();
    }

    private static String special(SpecialValueDecimal s) {
        String text = s.toString();
        return switch (text.toUpperCase(Locale.ROOT)) {
            case "NAN" -> "NaN";
            case "POSITIVE_INFINITY", "INFINITY" -> "Infinity";
            case "NEGATIVE_INFINITY", "-INFINITY" -> "-Infinity";
            default -> text;
        };
    }

    private static Object array(Object v) {
        if (v == null || v instanceof String) {
            return v;
        }
        if (v instanceof List<?> list && list.size() == 1 && list.get(0) instanceof String s) {
            return s; // Debezium's placeholder for an unchanged TOASTed array
        }
        return v.toString(); // java.sql.Array of pgjdbc: its literal
    }
}
