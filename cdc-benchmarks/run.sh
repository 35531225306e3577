#!/usr/bin/env bash
# Runs the benchmark suite and regenerates docs/benchmarks.md. Three parts:
#   suite      the short suite (writer overhead, capture throughput, latency, heap while streaming),
#              written to cdc-benchmarks/results/<date>.json (about 15 minutes on 2 cores)
#   snapshots  the snapshot of a million-row table by every strategy and by Debezium
#              (SnapshotBenchmark), written to cdc-benchmarks/results/snapshots-<date>.json (about 15
#              minutes on 2 cores)
#   connect    commit -> Kafka through Kafka Connect: cdckit's source connector in every cdc.mode next
#              to Debezium's PostgreSQL connector on one in-JVM Connect cluster (ConnectBenchmark),
#              written to cdc-benchmarks/results/connect-<date>.json (under 10 minutes on 2 cores)
# Usage: cdc-benchmarks/run.sh [suite|snapshots|connect|all|report] [JMH arguments]   (default: all;
# report runs nothing and only regenerates the page)
# The page is regenerated from the latest results file of each part, so running one part keeps the
# other parts' last results. Builds cdc-benchmarks/target/benchmarks.jar first when it is missing or
# older than the sources. Extra arguments go to JMH, e.g.:
#   cdc-benchmarks/run.sh suite -p strategy=log,debezium-raw
#   cdc-benchmarks/run.sh snapshots -p idle=trigger,debezium-initial -p writer=none
#   cdc-benchmarks/run.sh connect -p rows=100000 -p peers=log+debezium   (+: one interleaved trial)
# Run apart (their results are described in results/notes.md): LogHandoffBenchmark (the log strategy's
# hand-off against raw Debezium) and LogEngineBenchmark (the native engine, raw Debezium, the log
# strategy and pg_recvlogical draining the same kind of backlog), e.g.
#   (cd cdc-benchmarks && java -jar target/benchmarks.jar LogEngineBenchmark -rf json -rff results/engines-<date>.json)
# The benchmarks start their own throwaway PostgreSQL (see README.md, Requirements), or use
# CDC_TEST_JDBC_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

part=all
case "${1:-}" in
  suite|snapshots|connect|all|report) part=$1; shift ;;
esac

jar=cdc-benchmarks/target/benchmarks.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml cdc-*/pom.xml cdc-*/src/main -newer "$jar" -print -quit)" ]; then
  echo "run.sh: building $jar"
  mvn -B -q -pl cdc-benchmarks -am package -DskipTests
fi

stamp=$(date -u +%Y-%m-%d)
mkdir -p cdc-benchmarks/results

if [ "$part" = suite ] || [ "$part" = all ]; then
  started=$(date +%s)
  # the annotations' settings are the short suite: one fork per benchmark, few short iterations
  (cd cdc-benchmarks && java -jar target/benchmarks.jar 'io\.cdckit\.benchmarks\..*Benchmark\.' \
    -e 'io\.cdckit\.benchmarks\.(SnapshotBenchmark|ConnectBenchmark|LogHandoffBenchmark|LogEngineBenchmark)\.' -rf json -rff "results/$stamp.json" "$@")
  echo "run.sh: suite took $(( ($(date +%s) - started) / 60 )) min"
fi

if [ "$part" = snapshots ] || [ "$part" = all ]; then
  started=$(date +%s)
  # three interleaved rounds of every snapshot variant in one fork (see SnapshotBenchmark)
  (cd cdc-benchmarks && java -jar target/benchmarks.jar 'io\.cdckit\.benchmarks\.SnapshotBenchmark\.' \
    -rf json -rff "results/snapshots-$stamp.json" "$@")
  echo "run.sh: snapshots took $(( ($(date +%s) - started) / 60 )) min"
fi

if [ "$part" = connect ] || [ "$part" = all ]; then
  started=$(date +%s)
  # interleaved rounds of every connector on one Connect cluster in one fork (see ConnectBenchmark)
  (cd cdc-benchmarks && java -jar target/benchmarks.jar 'io\.cdckit\.benchmarks\.ConnectBenchmark\.' \
    -rf json -rff "results/connect-$stamp.json" "$@")
  echo "run.sh: connect took $(( ($(date +%s) - started) / 60 )) min"
fi

# the latest results of each part (file names sort by date)
results=()
latest=$(ls cdc-benchmarks/results/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].json 2>/dev/null | sort | tail -n 1 || true)
[ -n "$latest" ] && results+=("$latest")
latest=$(ls cdc-benchmarks/results/snapshots-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].json 2>/dev/null | sort | tail -n 1 || true)
[ -n "$latest" ] && results+=("$latest")
latest=$(ls cdc-benchmarks/results/connect-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].json 2>/dev/null | sort | tail -n 1 || true)
[ -n "$latest" ] && results+=("$latest")

java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$jar" io.cdckit.benchmarks.BenchmarkReport \
  "${results[@]}" docs/benchmarks.md cdc-benchmarks/results/notes.md
