#!/usr/bin/env bash
# Runs the short benchmark suite (about 15 minutes on 2 cores) and regenerates docs/benchmarks.md.
# Builds cdc-benchmarks/target/benchmarks.jar first when it is missing or older than the sources.
# Extra arguments go to JMH, e.g.: cdc-benchmarks/run.sh -p strategy=log,debezium-raw
# The benchmarks start their own throwaway PostgreSQL (see README.md, Requirements), or use
# CDC_TEST_JDBC_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

jar=cdc-benchmarks/target/benchmarks.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml cdc-*/pom.xml cdc-*/src/main -newer "$jar" -print -quit)" ]; then
  echo "run.sh: building $jar"
  mvn -B -q -pl cdc-benchmarks -am package -DskipTests
fi

stamp=$(date -u +%Y-%m-%d)
mkdir -p cdc-benchmarks/results
json=cdc-benchmarks/results/$stamp.json

started=$(date +%s)
# the annotations' settings are the short suite: one fork per benchmark, few short iterations
(cd cdc-benchmarks && java -jar target/benchmarks.jar 'io\.cdckit\.benchmarks\..*Benchmark\.' \
  -rf json -rff "results/$stamp.json" "$@")
echo "run.sh: suite took $(( ($(date +%s) - started) / 60 )) min"

java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$jar" io.cdckit.benchmarks.BenchmarkReport \
  "$json" docs/benchmarks.md cdc-benchmarks/results/notes.md
