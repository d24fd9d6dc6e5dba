#!/usr/bin/env bash
# The whole test suite with both stores, as .ci/run runs it.
#
#   tests/run-all.sh
#
# 1. Starts an OpenSearch 2.19 node on loopback (tests/search-node/start.sh) while the tests
#    compile, then runs `cargo test --locked` with PEBA_TEST_ELASTICSEARCH_URL pointing at it:
#    every test, embedded and Elasticsearch-backed (store tests, conformance, golden and PEBA
#    suites, ingest and import over Elasticsearch, fault tests on a dedicated second node).
# 2. Stops it, then for OpenSearch 3.3 (on Java 21+, see tests/search-node/java.sh),
#    Elasticsearch 7.10.2 and Elasticsearch 8.19.21 in turn starts a node and runs the
#    Elasticsearch-backed tests again.
# 3. Runs the playground and the attack map in headless Chromium (tests/browser/run.sh).
# Nodes are always stopped on exit (trap), also when a step fails.
#
# Environment:
#   PEBA_TEST_ENGINES             engines to run against, default
#                                 "opensearch opensearch3 elasticsearch7 elasticsearch8";
#                                 the first one runs the whole suite, the others the
#                                 Elasticsearch-backed tests only
#   PEBA_TEST_ELASTICSEARCH_URL   use this cluster instead of starting nodes: the whole suite
#                                 runs once against it (fault tests need a node of their own
#                                 and are skipped then, with a notice, unless CI is set)
#   CARGO_TEST_ARGS               extra arguments for every `cargo test` (e.g. --release)
set -euo pipefail
cd "$(dirname "$0")/.."

node=tests/search-node
# State directories of this run only, so that runs of other checkouts on the same machine
# (and nodes started by hand) are never touched.
main_state="${SEARCH_NODE_STATE:-${TMPDIR:-/tmp}/peba-search-node.run-$$}"
own_fault_state=""
if [ -z "${PEBA_TEST_FAULT_NODE_STATE:-}" ]; then own_fault_state=1; fi
export PEBA_TEST_FAULT_NODE_STATE="${PEBA_TEST_FAULT_NODE_STATE:-${TMPDIR:-/tmp}/peba-fault-node.run-$$}"
# shellcheck disable=SC2206
extra=(${CARGO_TEST_ARGS:-})

# The Elasticsearch-backed test targets (step 2), and the filter for the suites that hold
# tests of both stores.
es_targets=(--test elastic_store --test conformance --test elastic_serve --test elastic_faults --test elastic_startup --test scale_out)
es_mixed=(--test compat_golden --test compat_peba_suite)

cluster_state="$main_state.cluster"
stop_nodes() {
  SEARCH_NODE_STATE="$main_state" "$node/stop.sh" >/dev/null 2>&1 || true
  SEARCH_NODE_STATE="$cluster_state" "$node/stop.sh" >/dev/null 2>&1 || true
  rm -rf "$cluster_state"
  SEARCH_NODE_STATE="$PEBA_TEST_FAULT_NODE_STATE" "$node/stop.sh" >/dev/null 2>&1 || true
  if [ -z "${SEARCH_NODE_STATE:-}" ]; then rm -rf "$main_state"; fi
  if [ -n "$own_fault_state" ]; then rm -rf "$PEBA_TEST_FAULT_NODE_STATE"; fi
  rm -f "$main_state.start.out"
}

if [ -n "${PEBA_TEST_ELASTICSEARCH_URL:-}" ]; then
  echo "== tests against the cluster at $PEBA_TEST_ELASTICSEARCH_URL"
  cargo test --locked --no-fail-fast "${extra[@]}"
  tests/browser/run.sh
  exit 0
fi

trap stop_nodes EXIT
trap 'exit 130' INT TERM
mkdir -p "$main_state"

start_node() { # engine -> exports PEBA_TEST_ELASTICSEARCH_URL and PEBA_TEST_SEARCH_ENGINE
  local engine="$1" started
  started="$(SEARCH_NODE_STATE="$main_state" "$node/start.sh" "$engine")"
  export "${started?}"
  export PEBA_TEST_SEARCH_ENGINE="$engine"
  echo "== $(cat "$main_state/version") at $PEBA_TEST_ELASTICSEARCH_URL"
}

read -r -a engines <<<"${PEBA_TEST_ENGINES:-opensearch opensearch3 elasticsearch7 elasticsearch8}"
first=1
for engine in "${engines[@]}"; do
  t0=$(date +%s)
  if [ -n "$first" ]; then
    # Start the node while the tests compile.
    echo "== starting $engine; compiling the tests"
    SEARCH_NODE_STATE="$main_state" "$node/start.sh" "$engine" >"$main_state.start.out" 2>&1 &
    starter=$!
    cargo test --locked --no-run "${extra[@]}"
    if ! wait "$starter"; then
      cat "$main_state.start.out" >&2
      echo "the $engine node did not start" >&2
      exit 1
    fi
    cat "$main_state.start.out" >&2
    export "$(tail -n 1 "$main_state.start.out")"
    export PEBA_TEST_SEARCH_ENGINE="$engine"
    echo "== $(cat "$main_state/version") at $PEBA_TEST_ELASTICSEARCH_URL: the whole suite"
    cargo test --locked --no-fail-fast "${extra[@]}"
  else
    start_node "$engine"
    echo "== the Elasticsearch-backed tests again"
    cargo test --locked --no-fail-fast "${extra[@]}" "${es_targets[@]}"
    cargo test --locked --no-fail-fast "${extra[@]}" "${es_mixed[@]}" -- elasticsearch
  fi
  SEARCH_NODE_STATE="$main_state" "$node/stop.sh"
  echo "== $engine done in $(( $(date +%s) - t0 ))s"
  first=""
done

# A three-node OpenSearch 2.19 cluster (one process), one replica per shard: a node holding
# primaries is stopped and started under ingest and reads (tests/elastic_cluster.rs).
t0=$(date +%s)
echo "== a three-node OpenSearch cluster"
mkdir -p "$cluster_state"
SEARCH_NODE_STATE="$cluster_state" SEARCH_NODE_COUNT=3 SEARCH_NODE_HEAP=1g "$node/start.sh" opensearch >/dev/null
PEBA_TEST_CLUSTER_STATE="$cluster_state" cargo test --locked "${extra[@]}" --test elastic_cluster
SEARCH_NODE_STATE="$cluster_state" "$node/stop.sh"
echo "== the cluster test done in $(( $(date +%s) - t0 ))s"

echo "== the playground and the attack map in headless Chromium"
tests/browser/run.sh
