package io.cdckit.examples.demo;

import io.cdckit.api.TableId;
import io.cdckit.examples.EcommerceSchema;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo scaled out ({@code --kafka}), end to end with smaller sizes: cdckit's source connector
 * and Debezium's JDBC sink on two in-JVM Connect workers, the source task's worker stopped
 * midway, and every replica table equal to its source table at the end.
 */
class KafkaDemoTest {

    private static final int CUSTOMERS = 4;
    private static final int ORDERS = 40;

    @Test
    void replicatesThroughKafkaConnectAcrossAFailoverAndTheReplicaEqualsTheSource() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = new CommandLine(new Demo(console)).execute("--kafka", "--customers", String.valueOf(CUSTOMERS),
                "--orders", String.valueOf(ORDERS), "--writer-pause-ms", "10");
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        assertThat(text).contains("cdc.mode=trigger", "committed the long transaction",
                "The replica equals the source: every table, every row, every column.");

        // the task left the stopped worker
        Matcher moved = Pattern.compile("worker (\\S+) stopped; cdckit-shop task 0 moved to (\\S+) and runs again")
                .matcher(text);
        assertThat(moved.find()).as(text).isTrue();
        assertThat(moved.group(2)).isNotEqualTo(moved.group(1));

        // the rows the workload leaves: its customers plus the long transaction's, every order but the deleted ones
        Matcher done = Pattern.compile("workload done: \\d+ transactions, \\d+ inserts, \\d+ updates, (\\d+) deletes")
                .matcher(text);
        assertThat(done.find()).as(text).isTrue();
        int deletes = Integer.parseInt(done.group(1));
        assertRowsAndChecksumsEqual(text, EcommerceSchema.CUSTOMERS, CUSTOMERS + 1);
        assertRowsAndChecksumsEqual(text, EcommerceSchema.PRODUCTS, 5);
        assertRowsAndChecksumsEqual(text, EcommerceSchema.ORDERS, ORDERS + 1 - deletes);
    }

    private static void assertRowsAndChecksumsEqual(String text, TableId table, int rows) {
        Matcher line = Pattern.compile(Pattern.quote(table.toString())
                + " +(\\d+) +(\\d+) +([0-9a-f]{32}) +([0-9a-f]{32}) +(\\S+)").matcher(text);
        assertThat(line.find()).as("summary line of %s in:%n%s", table, text).isTrue();
        assertThat(Integer.parseInt(line.group(1))).as("source rows of " + table).isEqualTo(rows);
        assertThat(line.group(2)).as("replica rows of " + table).isEqualTo(line.group(1));
        assertThat(line.group(4)).as("replica checksum of " + table).isEqualTo(line.group(3));
        assertThat(line.group(5)).isEqualTo("yes");
    }

    @Test
    void kafkaTakesOneStrategyAndItsOwnServer() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertThat(new CommandLine(new Demo(console)).execute("--kafka", "--mode", "log,trigger")).isEqualTo(2);
        assertThat(new CommandLine(new Demo(console)).execute("--kafka", "--jdbc-url",
                "jdbc:postgresql://localhost/shop")).isEqualTo(2);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("With --kafka, --mode takes one strategy")
                .contains("leave out --jdbc-url");
    }
}
