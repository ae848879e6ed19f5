#!/usr/bin/env bash
# Reports every incompatible difference between the API of gorilla/websocket
# v1.5.3 and this package; no output means a gorilla program compiles against
# us with only its import path changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

go install golang.org/x/exp/cmd/apidiff@latest
cd "$scratch"
go mod init apidiffcheck >/dev/null 2>&1
go mod edit -require=github.com/gorilla/websocket@v1.5.3 \
	-require=github.com/iris-contrib/websocket@v0.0.0 \
	-replace=github.com/iris-contrib/websocket="$root"
cat >tools.go <<'GO'
package apidiffcheck

import (
	_ "github.com/gorilla/websocket"
	_ "github.com/iris-contrib/websocket"
)
GO
go mod tidy >/dev/null 2>&1
"$(go env GOPATH)/bin/apidiff" -incompatible github.com/gorilla/websocket github.com/iris-contrib/websocket
