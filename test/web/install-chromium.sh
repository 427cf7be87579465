#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium (Playwright's own browser
# download cannot work here): install it when missing. Run by `npm test` (pretest) and .ci/run.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The console's browser tests need Chromium at $CHROMIUM: install Debian's 'chromium' package (sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
  exit 1
fi
echo "Chromium not found: installing Debian's chromium for the console's browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
