#!/usr/bin/env bash
# Stops the search node started by start.sh and removes its data directory.
set -euo pipefail
state="${SEARCH_NODE_STATE:-/tmp/peba-search-node}"
if [ -f "$state/pid" ]; then
  pid="$(cat "$state/pid")"
  if kill -0 "$pid" 2>/dev/null; then
    # The node runs in its own process group (start.sh uses setsid).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$state/pid"
fi
if [ -f "$state/data" ]; then
  rm -rf "$(cat "$state/data")"
  rm -f "$state/data"
fi
rm -f "$state/url" "$state/env" "$state/engine"
echo "search node stopped" >&2
