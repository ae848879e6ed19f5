#!/usr/bin/env bash
# Checks the benchmark module (bench/) the way .ci/run checks the library:
# formatting, vet, and the tests with the race detector. The tests check the
# adapters (each library's client, echo server and compression round-trip a
# message) and run every section of the runner once with tiny samples; they
# do not run the benchmark itself (go run ./cmd/runbench does).
# Needs only Go and the Go module proxy: go test downloads the peer
# libraries (gorilla/websocket, gws, gobwas/ws, coder/websocket) on first use.
set -euo pipefail
cd "$(dirname "$0")"

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted"
	exit 1
fi
go vet ./...
go test -race -count=1 ./...
