#!/usr/bin/env bash
# Runs every fuzz target of the module's packages, one after the other, each
# for the given number of seconds (20 by default):
#
#	scripts/fuzz.sh [seconds]
#
# The targets are found with go test -list, so a new Fuzz function is picked
# up without changing this script. Every target runs even when one fails; the
# script then lists the failed ones and exits with status 1. go test writes a
# failing input to testdata/fuzz/<target>/ in the package, where plain
# go test replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
case $seconds in
'' | *[!0-9]*)
	echo "usage: $0 [seconds]" >&2
	exit 2
	;;
esac

ran=0
failed=()
for pkg in $(go list ./...); do
	listing=$(go test -list '^Fuzz' "$pkg") # a package that does not build stops the script
	for target in $(printf '%s\n' "$listing" | grep '^Fuzz' || true); do
		echo "== $pkg $target: ${seconds}s"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "${seconds}s" "$pkg"; then
			failed+=("$pkg $target")
		fi
		ran=$((ran + 1))
	done
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "== ${#failed[@]} of $ran fuzz targets failed:"
	printf '   %s\n' "${failed[@]}"
	exit 1
fi
echo "== $ran fuzz targets ran for ${seconds}s each, no failure"
