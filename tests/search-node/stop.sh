#!/usr/bin/env bash
# Stops the search node started by start.sh and removes its data directory.
#
#   tests/search-node/stop.sh [--keep-data] [--kill]
#
# --keep-data leaves the data directory for `SEARCH_NODE_KEEP_DATA=1 start.sh`; --kill ends the
# node at once (SIGKILL) instead of asking it to shut down. Bounded in time: a node that has
# not exited SEARCH_NODE_STOP_WAIT seconds (default 30) after SIGTERM is killed.
set -euo pipefail
state="${SEARCH_NODE_STATE:-/tmp/peba-search-node}"
keep=""
signal=TERM
for arg in "$@"; do
  case "$arg" in
    --keep-data) keep=1 ;;
    --kill) signal=KILL ;;
    *) echo "usage: $0 [--keep-data] [--kill]" >&2; exit 2 ;;
  esac
done
if [ -f "$state/pid" ]; then
  pid="$(cat "$state/pid")"
  if kill -0 "$pid" 2>/dev/null; then
    # The node runs in its own process group (start.sh uses setsid).
    kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 "${SEARCH_NODE_STOP_WAIT:-30}"); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    # Wait for the group to be gone (a killed process disappears at once).
    for _ in $(seq 1 10); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
  fi
  rm -f "$state/pid"
fi
if [ -z "$keep" ] && [ -f "$state/data" ]; then
  rm -rf "$(cat "$state/data")"
  rm -f "$state/data"
fi
rm -f "$state/url" "$state/env" "$state/engine" "$state/version"
echo "search node stopped" >&2
