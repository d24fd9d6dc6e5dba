#!/usr/bin/env bash
# Prints the java binary a search node engine runs on:
#
#   tests/search-node/java.sh [opensearch|opensearch3|elasticsearch7]
#
# OpenSearch 3 needs Java 21+: SEARCH_NODE_JAVA21 when set, else the newest JDK 21+ under
# /usr/lib/jvm (e.g. temurin-25-jdk-amd64, openjdk-21-jdk-headless). Fails when there is none.
# The other engines run on the default `java` (17).
set -euo pipefail

if [ "${1:-opensearch}" != opensearch3 ]; then
  echo java
  exit 0
fi
if [ -n "${SEARCH_NODE_JAVA21:-}" ]; then
  echo "$SEARCH_NODE_JAVA21"
  exit 0
fi
for home in $(ls -d /usr/lib/jvm/*-2[1-9]* /usr/lib/jvm/*-[3-9][0-9]* 2>/dev/null | sort -V -r); do
  if [ -x "$home/bin/java" ]; then
    echo "$home/bin/java"
    exit 0
  fi
done
echo "OpenSearch 3 needs Java 21+: none under /usr/lib/jvm; set SEARCH_NODE_JAVA21" >&2
exit 1
