"""Every manifest the chart renders, for many value sets, validated by `kubeconform -strict`
against JSON schemas generated offline from Kubernetes' own OpenAPI document and the KEDA and
prometheus-operator CRDs (scripts/install-kube-checks.sh): a misspelt field, a wrong type or a
field the API server would drop fails here, which `helm lint` does not check."""

import subprocess

import pytest

from tests.deploy.support import CHART, CI_VALUES, KUBE_VERSION, RELEASE, ROOT, VALUE_SETS, helm

KUBECONFORM = ROOT / ".tools" / "bin" / "kubeconform"
SCHEMAS = ROOT / ".tools" / "kube-schemas" / "current"
# Beyond the files in helm/tensorfleet/ci: the switches those leave off.
EXTRA = {
    "everything-on": [
        "mongodb.enabled=true",
        "redis.enabled=true",
        "worker.keda.enabled=true",
        "api.autoscaling.enabled=true",
        "api.ingress.enabled=true",
        "api.ingress.hosts[0].host=ml.example.com",
        "api.ingress.tls[0].secretName=ml-tls",
        "api.ingress.tls[0].hosts[0]=ml.example.com",
        "worker.replicaCount=3",
        "metrics.serviceMonitor.enabled=true",
        "auth.metricsToken=" + "m" * 40,
        "config.MAX_BODY_BYTES=2097152",
        "config.JOB_REQUEUE_AFTER_SECONDS=120",
    ],
    "own-database-secrets": [
        "mongodb.enabled=false",
        "redis.enabled=false",
        "externalMongodb.existingSecret=mongo-conn",
        "externalMongodb.existingSecretKey=connectionString.standard",
        "externalRedis.existingSecret=redis-conn",
    ],
    "everything-off": [
        "mongodb.enabled=true",
        "redis.enabled=true",
        "networkPolicy.enabled=false",
        "tests.enabled=false",
        "api.podDisruptionBudget.enabled=false",
        "metrics.podAnnotations=false",
        "serviceAccount.create=false",
        "auth.enabled=false",
    ],
}
CASES = [(name, [], name) for name in VALUE_SETS] + [
    ("bundled-values.yaml", sets, name) for name, sets in EXTRA.items()
]


def kubeconform(manifests: str) -> subprocess.CompletedProcess[str]:
    if not KUBECONFORM.exists() or not SCHEMAS.exists():
        pytest.fail(f"{KUBECONFORM} or {SCHEMAS} is missing: run `make setup`")
    location = f"{SCHEMAS}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"
    args = [str(KUBECONFORM), "-strict", "-summary", "-schema-location", location, "-"]
    return subprocess.run(args, input=manifests, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("values_file", "sets", "case"), CASES, ids=[c[2] for c in CASES])
def test_every_rendered_manifest_is_valid_kubernetes(
    values_file: str, sets: list[str], case: str
) -> None:
    args = ["template", RELEASE, str(CHART), "--namespace", "ml", "--kube-version", KUBE_VERSION]
    args += ["-f", str(CI_VALUES / values_file)]
    args += [a for item in sets for a in ("--set", item)]
    rendered = helm(*args)
    assert rendered.returncode == 0, rendered.stderr
    result = kubeconform(rendered.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in result.stdout, result.stdout


def test_kubeconform_rejects_a_misspelt_field() -> None:
    """The check can fail: strict schemas refuse a field Kubernetes does not have."""
    rendered = helm("template", RELEASE, str(CHART), "-f", str(CI_VALUES / "default-values.yaml"))
    broken = rendered.stdout.replace("  selector:\n", "  selectr:\n  selector:\n", 1)
    result = kubeconform(broken)
    assert result.returncode != 0 and "selectr" in result.stdout
