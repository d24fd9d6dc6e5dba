#!/usr/bin/env bash
# Starts one search node on 127.0.0.1 for peba's Elasticsearch store tests.
#
#   tests/search-node/start.sh [opensearch|opensearch3|elasticsearch7|elasticsearch8]
#
# Builds the launcher with Maven when needed, starts the node on a free port (security off,
# 512 MiB heap, data under a fresh temporary directory), waits until the cluster health is at
# least yellow, then prints
#   PEBA_TEST_ELASTICSEARCH_URL=http://127.0.0.1:PORT
# and writes the same line to $STATE_DIR/env (source it) and the URL to $STATE_DIR/url.
# stop.sh ends the node and removes its data.
#
# Environment: SEARCH_NODE_STATE (default /tmp/peba-search-node), SEARCH_NODE_HEAP (512m),
# SEARCH_NODE_WAIT (seconds to wait for the node per attempt, default 180), SEARCH_NODE_TRIES
# (attempts, default 3: a node that exits or does not become ready is killed and started
# again on new ports), SEARCH_NODE_PORT (a fixed HTTP port instead of a free one),
# SEARCH_NODE_KEEP_DATA=1 (reuse the data directory a `stop.sh --keep-data` left, so a
# restarted node has its indices back; the fault tests use this with a fixed port),
# SEARCH_NODE_COUNT (OpenSearch only: a cluster of that many nodes in one process, on
# consecutive ports; $STATE_DIR/urls lists them, and SearchNode.java says how to stop and
# start one through $STATE_DIR/data's control file).
set -euo pipefail

engine="${1:-opensearch}"
case "$engine" in
  opensearch|opensearch3|elasticsearch7|elasticsearch8) ;;
  *) echo "usage: $0 [opensearch|opensearch3|elasticsearch7|elasticsearch8]" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
# Java 17 by default; OpenSearch 3 needs 21+ (java.sh: SEARCH_NODE_JAVA21 or /usr/lib/jvm).
java_bin="$("$here/java.sh" "$engine")"
state="${SEARCH_NODE_STATE:-/tmp/peba-search-node}"
heap="${SEARCH_NODE_HEAP:-512m}"
count="${SEARCH_NODE_COUNT:-1}"
if [ "$count" != 1 ] && [[ "$engine" != opensearch* ]]; then
  echo "SEARCH_NODE_COUNT needs an OpenSearch engine" >&2
  exit 2
fi
wait_s="${SEARCH_NODE_WAIT:-180}"
mkdir -p "$state"

if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
  echo "a search node is already running (pid $(cat "$state/pid")); run stop.sh first" >&2
  exit 1
fi

# Elasticsearch 8 starts in-process from the server jar (src/es8); the others through a runner.
main_class=SearchNode
main_args=("$engine")
cluster_args=()
if [ "$count" != 1 ]; then cluster_args=("$count"); fi
sources=("$here/src/main/java")
if [ "$engine" = elasticsearch8 ]; then
  main_class=peba.Elasticsearch8Node
  main_args=()
  sources=("$here/src/es8/java")
fi
main_file="$here/target/classes/${main_class//.//}.class"

classpath="$here/target/classpath-$engine.txt"
if [ ! -f "$classpath" ] || [ ! -f "$main_file" ] \
   || [ "$here/pom.xml" -nt "$classpath" ] \
   || [ -n "$(find "${sources[@]}" -name '*.java' -newer "$main_file")" ]; then
  echo "building the launcher ($engine) ..." >&2
  built=""
  for attempt in 1 2 3; do
    if (cd "$here" && mvn -q -B "-P$engine" package -DskipTests >&2); then built=1; break; fi
    echo "maven failed (attempt $attempt of 3)" >&2
    sleep $(( attempt * 5 ))
  done
  [ -n "$built" ] || { echo "cannot build the search node launcher" >&2; exit 1; }
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

tries="${SEARCH_NODE_TRIES:-3}"
log="$state/node.log"
for attempt in $(seq 1 "$tries"); do
  http_port="${SEARCH_NODE_PORT:-$(free_port)}"
  transport_port="$(free_port)"
  while [ "$transport_port" = "$http_port" ]; do transport_port="$(free_port)"; done

  if [ "${SEARCH_NODE_KEEP_DATA:-0}" = 1 ] && [ -f "$state/data" ] && [ -d "$(cat "$state/data")" ]; then
    data="$(cat "$state/data")"
  else
    data="$(mktemp -d "${TMPDIR:-/tmp}/peba-search-node-data.XXXXXX")"
    echo "$data" > "$state/data"
  fi

  # setsid: the node gets its own process group so that stop.sh can end it and nothing else.
  setsid "$java_bin" "-Xms$heap" "-Xmx$heap" -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.formatMsgNoLookups=true \
    -cp "$here/target/classes:$(cat "$classpath")" \
    "$main_class" "${main_args[@]}" "$data" "$http_port" "$transport_port" "${cluster_args[@]}" >"$log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$state/pid"

  url="http://127.0.0.1:$http_port"
  deadline=$(( $(date +%s) + wait_s ))
  ready=""
  why=""
  while :; do
    health="$(curl -fsS --max-time 5 "$url/_cluster/health?wait_for_status=yellow&wait_for_nodes=$count&timeout=5s" 2>/dev/null || true)"
    if [[ "$health" =~ \"status\":\"(yellow|green)\" ]]; then
      ready=1
      break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then why="the search node exited"; break; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then why="the search node was not ready within ${wait_s}s"; break; fi
    sleep 1
  done
  [ -n "$ready" ] && break

  echo "$why (attempt $attempt of $tries); last lines of $log:" >&2
  tail -n 40 "$log" >&2
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$state/pid"
  if [ "$attempt" -ge "$tries" ]; then
    echo "giving up on the search node" >&2
    exit 1
  fi
  cp "$log" "$state/node.log.$attempt" 2>/dev/null || true
  sleep 2
done

echo "$url" > "$state/url"
for i in $(seq 0 $(( count - 1 ))); do echo "http://127.0.0.1:$(( http_port + i ))"; done > "$state/urls"
echo "PEBA_TEST_ELASTICSEARCH_URL=$url" > "$state/env"
echo "$engine" > "$state/engine"
version="$(curl -fsS --max-time 5 "$url" | python3 -c 'import json,sys; v=json.load(sys.stdin)["version"]; print(v.get("distribution","elasticsearch"), v["number"])' 2>/dev/null || echo unknown)"
echo "$version" > "$state/version"
echo "search node ready: $version at $url (pid $pid, data $data, log $log)" >&2
echo "PEBA_TEST_ELASTICSEARCH_URL=$url"
