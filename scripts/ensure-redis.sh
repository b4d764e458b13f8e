#!/usr/bin/env bash
# Makes sure redis-server is installed: from Debian's packages when we are root, else says how.
set -euo pipefail
command -v redis-server >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-redis: installing redis-server from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "ensure-redis: redis-server is missing; install it (Debian/Ubuntu: sudo apt-get install redis-server," \
  "macOS: brew install redis) or set REDIS_URL to a running server" >&2
exit 1
