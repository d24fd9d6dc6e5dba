#!/usr/bin/env bash
# Starts one search node on 127.0.0.1 for peba's Elasticsearch store tests.
#
#   tests/search-node/start.sh [opensearch|elasticsearch7]
#
# Builds the launcher with Maven when needed, starts the node on a free port (security off,
# 512 MiB heap, data under a fresh temporary directory), waits until the cluster health is at
# least yellow, then prints
#   PEBA_TEST_ELASTICSEARCH_URL=http://127.0.0.1:PORT
# and writes the same line to $STATE_DIR/env (source it) and the URL to $STATE_DIR/url.
# stop.sh ends the node and removes its data.
#
# Environment: SEARCH_NODE_STATE (default /tmp/peba-search-node), SEARCH_NODE_HEAP (512m),
# SEARCH_NODE_WAIT (seconds to wait for the node, default 180).
set -euo pipefail

engine="${1:-opensearch}"
case "$engine" in
  opensearch|elasticsearch7) ;;
  *) echo "usage: $0 [opensearch|elasticsearch7]" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
state="${SEARCH_NODE_STATE:-/tmp/peba-search-node}"
heap="${SEARCH_NODE_HEAP:-512m}"
wait_s="${SEARCH_NODE_WAIT:-180}"
mkdir -p "$state"

if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
  echo "a search node is already running (pid $(cat "$state/pid")); run stop.sh first" >&2
  exit 1
fi

classpath="$here/target/classpath-$engine.txt"
if [ ! -f "$classpath" ] || [ ! -f "$here/target/classes/SearchNode.class" ] \
   || [ "$here/pom.xml" -nt "$classpath" ] \
   || [ "$here/src/main/java/SearchNode.java" -nt "$here/target/classes/SearchNode.class" ]; then
  echo "building the launcher ($engine) ..." >&2
  (cd "$here" && mvn -q -B "-P$engine" package -DskipTests >&2)
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
http_port="$(free_port)"
transport_port="$(free_port)"
while [ "$transport_port" = "$http_port" ]; do transport_port="$(free_port)"; done

data="$(mktemp -d "${TMPDIR:-/tmp}/peba-search-node-data.XXXXXX")"
echo "$data" > "$state/data"
log="$state/node.log"

# setsid: the node gets its own process group so that stop.sh can end it and nothing else.
setsid java "-Xms$heap" "-Xmx$heap" -XX:+UseSerialGC -Djava.awt.headless=true \
  -Dlog4j2.formatMsgNoLookups=true \
  -cp "$here/target/classes:$(cat "$classpath")" \
  SearchNode "$engine" "$data" "$http_port" "$transport_port" >"$log" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$state/pid"

url="http://127.0.0.1:$http_port"
deadline=$(( $(date +%s) + wait_s ))
until curl -fsS --max-time 5 "$url/_cluster/health?wait_for_status=yellow&timeout=5s" 2>/dev/null \
      | grep -Eq '"status":"(yellow|green)"'; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the search node exited; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "the search node did not become ready within ${wait_s}s; see $log" >&2
    kill -- "-$pid" 2>/dev/null || true
    exit 1
  fi
  sleep 1
done

echo "$url" > "$state/url"
echo "PEBA_TEST_ELASTICSEARCH_URL=$url" > "$state/env"
echo "$engine" > "$state/engine"
version="$(curl -fsS --max-time 5 "$url" | python3 -c 'import json,sys; v=json.load(sys.stdin)["version"]; print(v.get("distribution","elasticsearch"), v["number"])' 2>/dev/null || echo unknown)"
echo "search node ready: $version at $url (pid $pid, data $data, log $log)" >&2
echo "PEBA_TEST_ELASTICSEARCH_URL=$url"
