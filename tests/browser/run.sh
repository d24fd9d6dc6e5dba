#!/usr/bin/env bash
# Headless-browser tests of the GraphQL playground and the live attack map, in one command:
# builds peba if needed, installs the pinned npm packages, imports the fixture alerts into a
# temporary data directory, adds a user, starts `peba serve` with a frozen clock and runs the
# playground test, then starts a fresh server for the map test (see below); stops each server.
# Needs node and a Chromium (default /usr/bin/chromium; CHROMIUM=... to choose another).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

# PEBA_BIN=target/release/peba measures a release build instead.
if [ -n "${PEBA_BIN:-}" ]; then
  peba="$PEBA_BIN"
else
  cargo build --quiet --manifest-path "$root/Cargo.toml" --bin peba
  peba="$target/debug/peba"
fi

(cd "$here" && npm ci --no-audit --no-fund --silent)

data="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

export PEBA_DATA_DIR="$data/store"
unset PEBA_ELASTICSEARCH_HOST
"$peba" import "$root/compat/fixtures/alerts.jsonl" >/dev/null
playground_user="analyst"
playground_token="analyst-token-$RANDOM$RANDOM"
"$peba" user add --token "$playground_token" "$playground_user" >/dev/null
"$peba" serve --bind 127.0.0.1:0 --set 'clock=2024-07-01 00:20:00' >"$data/serve.out" 2>"$data/serve.err" &
server=$!

url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^peba listening on \(http:\/\/.*\)$/\1/p' "$data/serve.out" | head -n1)"
  [ -n "$url" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$data/serve.err" >&2
    echo "peba did not start" >&2
    exit 1
  fi
  sleep 0.1
done
[ -n "$url" ] || { echo "peba did not report its address" >&2; exit 1; }

cd "$here"
PEBA_URL="$url" PLAYGROUND_USER="$playground_user" PLAYGROUND_TOKEN="$playground_token" \
  SCREENSHOT="${SCREENSHOT:-$data/playground.png}" node --test playground.test.mjs

# The live attack map, against a server of its own: a live clock, an empty store, a GeoIP
# database placing the test networks (written by mmdb.mjs) and a private user.
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
server=""
map_user="map-private"
map_token="map-private-token-$RANDOM$RANDOM"
export PEBA_DATA_DIR="$data/map-store"
node --input-type=module -e "
  import { writeCityDb } from './mmdb.mjs';
  import { geoEntries } from './attacks.mjs';
  writeCityDb(process.argv[1], geoEntries());
" "$data/city.mmdb"
"$peba" user add --token "$map_token" "$map_user" >/dev/null
"$peba" serve --bind 127.0.0.1:0 --set "geoip_city=$data/city.mmdb" >"$data/map.out" 2>"$data/map.err" &
server=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^peba listening on \(http:\/\/.*\)$/\1/p' "$data/map.out" | head -n1)"
  [ -n "$url" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$data/map.err" >&2
    echo "peba did not start" >&2
    exit 1
  fi
  sleep 0.1
done
[ -n "$url" ] || { echo "peba did not report its address" >&2; exit 1; }
PEBA_URL="$url" MAP_USER="$map_user" MAP_TOKEN="$map_token" \
  SCREENSHOT="${MAP_SCREENSHOT:-$data/map.png}" node --test map.test.mjs

# The map across a server restart: the test runs its own server on a fixed port.
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
server=""
PEBA_BIN="$peba" node --test map-reconnect.test.mjs
