#!/usr/bin/env bash
# Builds the peba container image from this checkout and tags it localhost/peba:latest.
# Pulls no base image: peba is linked statically (musl, or glibc with crt-static where the
# musl target cannot be had) and put into an image FROM scratch (deploy/Containerfile) with
# the build machine's CA bundle, a user entry and the data directory.
#
#   deploy/build-image.sh              # podman, or docker where an engine runs
#   IMAGE=registry.example/peba:1 deploy/build-image.sh
#   STORAGE_DRIVER=vfs deploy/build-image.sh   # podman --storage-driver, where overlay fails
#
# Needs: cargo (rustup for the musl target), a C compiler (musl-gcc from musl-tools for the
# musl target), podman or docker.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${IMAGE:-localhost/peba:latest}
uid=10001

# 1. A statically linked peba.
if rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1 && command -v musl-gcc >/dev/null; then
  target=x86_64-unknown-linux-musl
  cargo build --release --locked --target "$target" --bin peba
else
  echo "build-image: musl target or musl-gcc missing; linking glibc statically" >&2
  target=x86_64-unknown-linux-gnu
  RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
    cargo build --release --locked --target "$target" --bin peba
fi
binary=target/$target/release/peba
if readelf --program-headers "$binary" | grep -q 'program interpreter'; then
  echo "build-image: $binary is not statically linked" >&2
  exit 1
fi

# 2. The build context: exactly the files deploy/Containerfile copies.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
install -m 0755 "$binary" "$context/peba"
strip "$context/peba" 2>/dev/null || true
install -m 0644 /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt"
printf 'root:x:0:0:root:/:/nonexistent\npeba:x:%s:%s:peba:/var/lib/peba:/nonexistent\n' "$uid" "$uid" >"$context/passwd"
printf 'root:x:0:\npeba:x:%s:\n' "$uid" >"$context/group"
mkdir -m 0700 "$context/data"
cp deploy/Containerfile "$context/Containerfile"

# 3. The image.
if command -v podman >/dev/null; then
  # docker format keeps the HEALTHCHECK (the OCI image format has none).
  podman ${STORAGE_DRIVER:+--storage-driver "$STORAGE_DRIVER"} build --format docker \
    --tag "$image" --file "$context/Containerfile" "$context"
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  docker build --tag "$image" --file "$context/Containerfile" "$context"
else
  echo "build-image: neither podman nor a running docker engine found" >&2
  exit 1
fi
echo "build-image: built $image"
