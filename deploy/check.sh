#!/usr/bin/env bash
# Proves the deployment kit on this machine (called by .ci/run):
#  1. builds the image with deploy/build-image.sh (podman, vfs storage);
#  2. runs `peba serve` from the mounted image, chrooted as the image's user with a data
#     directory bound at the image's volume, and checks /heartbeat, the image's health check,
#     an ingest and a read (`podman run` is not permitted here, `podman image mount` is);
#  3. validates the compose files against the compose specification's schema, merges them with
#     podman-compose, and checks that every PEBA_* variable of the kit is a setting (or a
#     variable peba reads otherwise) and that the example values are valid;
#  4. verifies the systemd unit and its exposure rating (at most 2.0).
# Everything it starts or mounts is stopped or unmounted on exit. Only loopback is used.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { echo "== deploy: $1 (at $(( $(date +%s) - started ))s)"; }
fail() { echo "deploy/check.sh: $*" >&2; exit 1; }

step "prerequisites (podman, musl-tools, systemd, curl, binutils, python3-venv)"
missing=()
command -v podman >/dev/null || missing+=(podman)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v curl >/dev/null || missing+=(curl)
command -v readelf >/dev/null || missing+=(binutils)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
podman --version

image=localhost/peba:latest
work=$(mktemp -d)
# Image storage of its own, removed on exit, with the vfs driver (no overlay mounts needed).
cat >"$work/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$work/storage"
runroot = "$work/run"
CONF
export CONTAINERS_STORAGE_CONF=$work/storage.conf
server=
mounted=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$mounted" ] && podman image unmount "$image" >/dev/null
  [ -f deploy/.env.check ] && rm -f deploy/.env deploy/.env.check
  rm -rf "$work"
}
trap cleanup EXIT

step "image (deploy/build-image.sh)"
IMAGE=$image deploy/build-image.sh
podman image ls "$image"
user=$(podman image inspect --format '{{.Config.User}}' "$image")
health=$(podman image inspect --format '{{.Config.Healthcheck.Test}}' "$image")
case "$user" in ""|0|0:*|root|root:*) fail "the image runs as root ($user)";; esac
[[ "$health" == *"/usr/local/bin/peba healthcheck"* ]] || fail "no health check: $health"

step "peba serve from the mounted image, as $user"
root=$(podman image mount "$image")
mounted=yes
mapfile -t image_env < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | grep .)
mkdir -m 0700 "$work/data"
chown "$user" "$work/data"
# The image's settings, but on loopback only (the image itself listens on 0.0.0.0).
unshare --mount sh -c 'mount --bind "$1" "$2/var/lib/peba" && shift 2 && exec "$@"' sh \
  "$work/data" "$root" env -i "${image_env[@]}" PEBA_BINDHOST=127.0.0.1:0 PEBA_LOG=peba=info \
  chroot --userspec="$user" "$root" /usr/local/bin/peba serve >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 100); do
  grep -q '^peba listening on http://' "$work/out" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/err" >&2; fail "peba did not start"; }
  sleep 0.1
done
address=$(sed -n 's|^peba listening on http://||p' "$work/out")
[ -n "$address" ] || { cat "$work/err" >&2; fail "peba printed no address"; }
url="http://$address"
echo "serving on $url"

[ "$(curl -fsS "$url/heartbeat")" = "I'm alive" ] || fail "/heartbeat is not alive"
env -i PATH="$PATH" PEBA_BINDHOST="$address" chroot --userspec="$user" "$root" /usr/local/bin/peba healthcheck \
  || fail "the image's health check fails"

alert='<EWS-SimpleMessage version="3.0"><Authentication><username>community-01-user</username><token>foth{a5maiCee8fineu7</token></Authentication><Alert><Analyzer id="honeytrap-image-check"/><CreateTime tz="+0000">2026-01-02 03:04:05</CreateTime><Source category="ipv4" port="41234" protocol="tcp">203.0.113.7</Source><Target category="ipv4" port="445" protocol="tcp">198.51.100.1</Target><Request type="description">NetworkHoneypot Honeytrap v1.1</Request></Alert></EWS-SimpleMessage>'
answer=$(curl -fsS -H 'Content-Type: text/xml' --data-binary "$alert" "$url/ews-0.1/alert/postSimpleMessage")
[[ "$answer" == *"<StatusCode>OK</StatusCode>"* ]] || fail "ingest answered: $answer"
count=$(curl -fsS "$url/alert/retrieveAlertsCount?time=10&out=json")
[[ "$count" =~ \"AlertCount\":\ ?1[^0-9] ]] || fail "read answered: $count"
echo "ingest answered OK; retrieveAlertsCount: $count"
owner=$(stat -c %u "$work/data")
[ -n "$(find "$work/data" -type f -user "${user%%:*}")" ] || fail "nothing written by uid ${user%%:*} in the volume"

kill "$server"
wait "$server" 2>/dev/null || true
server=
podman image unmount "$image" >/dev/null
mounted=
echo "stopped and unmounted (volume owner uid $owner)"

step "compose files (compose-spec schema, podman-compose config) and their PEBA_* variables"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q podman-compose==1.6.0 check-jsonschema==0.39.0
"$work/venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml deploy/compose.opensearch.yaml
if [ ! -e deploy/.env ]; then
  cp deploy/.env.example deploy/.env
  touch deploy/.env.check
fi
"$work/venv/bin/podman-compose" -f deploy/compose.yaml config >"$work/compose.txt"
"$work/venv/bin/podman-compose" -f deploy/compose.yaml -f deploy/compose.opensearch.yaml config >"$work/compose-opensearch.txt"
grep -q 'PEBA_ELASTICSEARCH_HOST: http://opensearch:9200' "$work/compose-opensearch.txt" \
  || fail "the OpenSearch file does not point peba at the cluster"
grep -q 'condition: service_healthy' "$work/compose-opensearch.txt" \
  || fail "peba does not wait for a healthy cluster"
peba=target/x86_64-unknown-linux-musl/release/peba
[ -x "$peba" ] || peba=target/x86_64-unknown-linux-gnu/release/peba
# Every PEBA_* name in the kit is a setting or a variable peba reads otherwise.
mapfile -t names < <(grep -ohE 'PEBA_[A-Z0-9_]+' deploy/compose*.yaml deploy/.env.example deploy/peba.service deploy/Containerfile* | sort -u)
assignments=()
for name in "${names[@]}"; do assignments+=("$name=1"); done
warnings=$(env -i "${assignments[@]}" "$peba" config --example 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "not settings: $warnings"
# The values of deploy/.env.example and compose.opensearch.yaml are valid.
mapfile -t values < <(grep -E '^PEBA_[A-Z0-9_]+=' deploy/.env.example)
env -i "${values[@]}" PEBA_ELASTICSEARCH_HOST=http://opensearch:9200 "$peba" config >/dev/null
echo "${#names[@]} PEBA_* names, ${#values[@]} values checked"

step "systemd unit (systemd-analyze verify, security)"
# verify wants ExecStart's binary installed: the same unit, pointing at the one just built.
sed "s|^ExecStart=/usr/local/bin/peba |ExecStart=$PWD/$peba |" deploy/peba.service >"$work/peba.service"
grep -q "^ExecStart=$PWD/$peba serve$" "$work/peba.service" || fail "ExecStart not found"
systemd-analyze verify "$work/peba.service"
systemd-analyze security --offline=true --threshold=20 deploy/peba.service | tail -1

step "done"
