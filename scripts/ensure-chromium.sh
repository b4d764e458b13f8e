#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (Playwright's own browser
# download is not reachable everywhere): from Debian's packages when we are root, else says how.
set -euo pipefail
command -v "${CHROMIUM_PATH:-chromium}" >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing chromium from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium fonts-dejavu-core >/dev/null
  exit 0
fi
echo "ensure-chromium: chromium is missing; install it (Debian/Ubuntu: sudo apt-get install" \
  "chromium) or set CHROMIUM_PATH to a Chromium executable" >&2
exit 1
