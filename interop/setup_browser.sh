#!/usr/bin/env bash
# Installs Chromium for the browser tests of interop/ (browser_test.go),
# unless /usr/bin/chromium is already there. Safe to run again. Fails, with a
# message, when Chromium cannot be installed or does not start.
#
# Usage (as root, or with sudo available): bash interop/setup_browser.sh
set -euo pipefail

chromium=/usr/bin/chromium

if [ ! -x "$chromium" ]; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "setup_browser.sh: need root (or sudo) to install chromium" >&2; exit 1; }
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update
	$sudo apt-get install -y chromium
fi

if [ ! -x "$chromium" ]; then
	echo "setup_browser.sh: $chromium is missing after apt-get install -y chromium" >&2
	exit 1
fi
# A browser that is installed but cannot start would fail every test later
# with a less clear message: check it here.
profile=$(mktemp -d)
errors=$(mktemp)
trap 'rm -rf "$profile" "$errors"' EXIT
if ! timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$profile" --dump-dom about:blank >/dev/null 2>"$errors"; then
	echo "setup_browser.sh: $chromium does not start:" >&2
	cat "$errors" >&2
	exit 1
fi
echo "setup_browser.sh: $("$chromium" --version 2>/dev/null) is ready"
