package io.cdckit.examples.demo;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.TableId;
import io.cdckit.examples.EcommerceSchema;
import io.cdckit.examples.ShopWorkload;
import io.cdckit.testkit.PostgresFixture;
import io.cdckit.testkit.TestDatabase;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The demo: one live workload on an e-commerce schema, captured at the same time by each
 * strategy, shown side by side — a console table of what each saw, JSON lines of every event,
 * and a summary per strategy (events, commit-to-handler latency, what it could not see). With
 * {@code --kafka}, the same shop scaled out on Kafka Connect instead ({@link KafkaPipeline}).
 */
@Command(name = "cdckit-demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Captures the same live workload with each cdckit strategy and shows the results side by side.",
                "With --kafka: replicates it through Kafka Connect into a second database and compares the two."})
public final class Demo implements Callable<Integer> {

    /** Orders the scaled-out run places unless --orders says otherwise. */
    private static final int KAFKA_ORDERS = 300;

    @Option(names = "--mode", split = ",", paramLabel = "MODE",
            description = "Strategies to run: log, trigger, timestamp (default: every one on the classpath; "
                    + "with --kafka one of them, default trigger).")
    private List<String> modes;

    @Option(names = "--kafka",
            description = "Scaled out: cdckit's Kafka Connect source connector and Debezium's JDBC sink connector on "
                    + "an in-JVM Kafka with two Connect workers replicate the shop into a second database on the "
                    + "throwaway PostgreSQL, under concurrent writers, while one worker is stopped; then the replica "
                    + "is compared with the source table by table.")
    private boolean kafka;

    @Option(names = "--jdbc-url", paramLabel = "URL",
            description = "Use this PostgreSQL database (wal_level=logical for log; it must not hold the demo's "
                    + "tables yet) instead of starting a throwaway server.")
    private String jdbcUrl;

    @Option(names = "--user", description = "User for --jdbc-url.")
    private String user;

    @Option(names = "--password", description = "Password for --jdbc-url (or set CDCKIT_DEMO_PASSWORD).",
            arity = "0..1", interactive = true)
    private String password;

    @Option(names = "--customers", defaultValue = "8", description = "Customers to create (default ${DEFAULT-VALUE}).")
    private int customers;

    @Option(names = "--orders", description = "Orders to place (default 20; with --kafka " + KAFKA_ORDERS + ").")
    private Integer orders;

    @Option(names = "--writer-pause-ms", defaultValue = "20", hidden = true,
            description = "With --kafka: each writer's pause after a transaction, in ms (default ${DEFAULT-VALUE}).")
    private int writerPauseMs;

    @Option(names = "--out", defaultValue = "target/cdckit-demo",
            description = "Directory for the JSON lines of each strategy (default ${DEFAULT-VALUE}).")
    private Path out;

    @Option(names = "--json", description = "Also print every event's JSON line to the console.")
    private boolean printJson;

    private final PrintStream console;

    Demo(PrintStream console) {
        this.console = console;
    }

    /** Runs the demo; exits with 0 on success. */
    public static void main(String[] args) {
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int code;
        try {
            code = new CommandLine(new Demo(console)).execute(args);
        } catch (Throwable t) {
            // an Error passes picocli by; exit all the same, or exec:java waits for Kafka's threads for ever
            t.printStackTrace(console);
            code = 1;
        }
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        List<String> available = ChangeSources.availableModes();
        if (kafka) {
            return kafka(available);
        }
        int orderCount = orders == null ? 20 : orders;
        List<String> chosen = modes == null ? available : modes;
        for (String m : chosen) {
            if (!available.contains(m)) {
                console.println("Unknown --mode " + m + ": this build has " + String.join(", ", available));
                return 2;
            }
        }
        Map<String, String> connection = connect();
        Files.createDirectories(out);
        step("creating the e-commerce schema (customers, products, orders)");
        try (Handle h = Jdbi.open(open(connection))) {
            for (TableId t : EcommerceSchema.tables()) {
                if (h.select("SELECT to_regclass(?) IS NOT NULL", t.quoted()).mapTo(Boolean.class).one()) {
                    console.println("Table " + t + " exists already: point --jdbc-url at an empty database.");
                    return 2;
                }
            }
            EcommerceSchema.ddl().forEach(h::execute);
        }

        List<StrategyRun> runs = new ArrayList<>();
        try {
            for (String mode : chosen) {
                step("starting the " + mode + " strategy");
                StrategyRun run = new StrategyRun(mode, out.resolve(mode + ".jsonl"), printJson ? console : null);
                ChangeSource source = ChangeSources.create(config(mode, connection));
                run.attach(source);
                runs.add(run);
                source.start(run);
            }
            step("running the live workload: " + customers + " customers, " + orderCount + " orders");
            ShopWorkload.Summary summary = new ShopWorkload(() -> open(connection), customers, orderCount, 7,
                    s -> step("  " + s)).run();
            step("workload done: " + summary.inserts() + " inserts, " + summary.updates() + " updates, "
                    + summary.deletes() + " deletes; waiting for every strategy to catch up");
            awaitQuiet(runs);
        } finally {
            for (StrategyRun run : runs) {
                run.close();
            }
        }
        cleanUp(connection, chosen);
        console.println();
        console.println(SideBySide.render(runs));
        console.println(SideBySide.summary(runs));
        console.println("JSON lines of every event: " + out.toAbsolutePath());
        return 0;
    }

    private int kafka(List<String> available) throws Exception {
        List<String> chosen = modes == null ? List.of("trigger") : modes;
        if (chosen.size() != 1 || !available.contains(chosen.get(0))) {
            console.println("With --kafka, --mode takes one strategy of " + String.join(", ", available) + ", not "
                    + String.join(",", chosen));
            return 2;
        }
        if (jdbcUrl != null) {
            console.println("--kafka starts its own throwaway PostgreSQL, with the source and the replica database:"
                    + " leave out --jdbc-url");
            return 2;
        }
        return new KafkaPipeline(console, chosen.get(0), customers, orders == null ? KAFKA_ORDERS : orders,
                Duration.ofMillis(writerPauseMs)).run();
    }

    private Map<String, String> connect() {
        if (jdbcUrl != null) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("cdc.jdbc.url", jdbcUrl);
            if (user != null) {
                m.put("cdc.jdbc.user", user);
            }
            String pw = password != null ? password : System.getenv("CDCKIT_DEMO_PASSWORD");
            if (pw != null) {
                m.put("cdc.jdbc.password", pw);
            }
            return m;
        }
        step("starting a throwaway PostgreSQL (removed when the demo ends)");
        TestDatabase db = PostgresFixture.server().createDatabase("demo");
        step("PostgreSQL " + PostgresFixture.server().serverVersionNum() / 10000 + " is up, database " + db.name());
        return db.cdcProperties();
    }

    private static Connection open(Map<String, String> connection) throws SQLException {
        return DriverManager.getConnection(connection.get("cdc.jdbc.url"), connection.get("cdc.jdbc.user"),
                connection.get("cdc.jdbc.password"));
    }

    private static CdcConfig config(String mode, Map<String, String> connection) {
        Map<String, Object> props = new LinkedHashMap<>(connection);
        props.put("cdc.mode", mode);
        props.put("cdc.name", "demo_" + mode);
        props.put("cdc.snapshot.mode", "never");
        props.put("cdc.poll.interval", "50ms");
        props.putAll(StrategyDefaults.forMode(mode));
        return CdcConfig.builder().putAll(props).tables(EcommerceSchema.tables().toArray(TableId[]::new)).build();
    }

    /** Waits until no strategy has received anything for a while (bounded). */
    private void awaitQuiet(List<StrategyRun> runs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + Duration.ofSeconds(60).toMillis();
        long quietFor = 3000;
        while (System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            StringBuilder sb = new StringBuilder("  received so far:");
            boolean quiet = true;
            for (StrategyRun r : runs) {
                sb.append(' ').append(r.mode()).append('=').append(r.count());
                quiet &= r.msSinceLastEvent() >= quietFor;
                if (r.failure() != null) {
                    step("  " + r.mode() + " failed: " + r.failure().getMessage());
                }
            }
            step(sb.toString());
            if (quiet) {
                return;
            }
        }
    }

    private void cleanUp(Map<String, String> connection, List<String> chosen) {
        if (jdbcUrl == null || !chosen.contains("log")) {
            return;
        }
        try (Connection c = open(connection); Statement st = c.createStatement()) {
            st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE slot_name = 'demo_log_slot'");
            step("dropped the demo's replication slot demo_log_slot");
        } catch (Exception e) {
            step("could not drop replication slot demo_log_slot: " + e.getMessage());
        }
    }

    private void step(String message) {
        console.println("[demo] " + message);
    }
}
