#!/usr/bin/env bash
# The test command of the README: every check and test of every module, with
# the race detector. It installs the real peers the interop tests drive
# (Node's ws, Python's websockets, Chromium), so it needs root on a fresh
# Debian machine; CI runs it as .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted"
	exit 1
fi

step "root module: vet and tests"
go vet ./...
go test -race ./...
# The allocation counts skip themselves under -race (sync.Pool drops items).
go test -count=1 -run 'Allocations' .

step "portable masking (purego) and other architectures"
go test -tags purego -run 'Mask' .
GOARCH=386 go vet .
GOARCH=arm64 go build ./...

step "fuzz targets, 20 s each"
bash scripts/fuzz.sh 20

step "interop: installing the peers"
bash interop/setup.sh
bash interop/setup_browser.sh

step "interop module: vet and tests"
(cd interop && go vet ./... && go test -race ./...)

step "bench module: gofmt, vet and tests"
bash bench/test.sh
