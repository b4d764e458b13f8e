"""The Helm chart: lint-clean, secrets only in Secrets, probes, labels, scaling, schema."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.config import Settings
from tests.deploy.support import (
    CHART,
    CI_VALUES,
    CONTAINER_SECRETS,
    DEFAULTS,
    RELEASE,
    ROOT,
    SECRET_SETTINGS,
    VALUE_SETS,
    Manifest,
    Render,
    containers,
    find,
    helm,
    one,
    secret_data,
)

FULLNAME = f"{RELEASE}-tensorfleet"
API, WORKER = f"{FULLNAME}-api", f"{FULLNAME}-worker"
STANDARD_LABELS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
}
WORKLOADS = ("Deployment", "StatefulSet")


def test_value_sets_cover_defaults_bundled_keda_and_existing_secret() -> None:
    assert {
        "default-values.yaml",
        "bundled-values.yaml",
        "keda-values.yaml",
        "existing-secret-values.yaml",
    } <= set(VALUE_SETS)


@pytest.mark.parametrize("values_file", VALUE_SETS)
def test_lint_strict_passes(values_file: str) -> None:
    """With no finding at all: not even the [INFO] a chart without an icon gets."""
    result = helm("lint", "--strict", str(CHART), "-f", str(CI_VALUES / values_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[INFO]" not in result.stdout and "[WARNING]" not in result.stdout, result.stdout


@pytest.mark.parametrize("values_file", VALUE_SETS)
def test_no_credential_outside_a_secret(render: Render, values_file: str) -> None:
    manifests = render(values_file)
    secrets = [v for s in find(manifests, "Secret") for v in secret_data(s).values()]
    for manifest in manifests:
        if manifest["kind"] == "Secret":
            continue
        text = yaml.safe_dump(manifest)
        for value in secrets:
            assert value not in text, f"a Secret's value is in {manifest['kind']}"
        assert not re.search(r"://[^/\s:@]*:[^@\s/]+@", text), f"credential in {manifest['kind']}"
    for configmap in find(manifests, "ConfigMap"):
        assert not set(configmap["data"]) & SECRET_SETTINGS


@pytest.mark.parametrize("values_file", VALUE_SETS)
def test_every_resource_has_the_standard_labels(render: Render, values_file: str) -> None:
    for manifest in render(values_file):
        labels = manifest["metadata"]["labels"]
        assert labels.keys() >= STANDARD_LABELS, manifest["metadata"]["name"]
        assert labels["app.kubernetes.io/instance"] == RELEASE


@pytest.mark.parametrize("values_file", VALUE_SETS)
def test_workloads_select_their_own_component(render: Render, values_file: str) -> None:
    workloads = [m for m in render(values_file) if m["kind"] in WORKLOADS]
    components = set()
    for workload in workloads:
        selector = workload["spec"]["selector"]["matchLabels"]
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items()
        components.add(selector["app.kubernetes.io/component"])
    assert len(components) == len(workloads), "two workloads share a selector"


def test_api_and_worker_probes(render: Render) -> None:
    manifests = render()
    (api,) = containers(one(manifests, "Deployment", API))
    assert api["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert api["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert api["livenessProbe"]["httpGet"]["port"] == "http"
    (worker,) = containers(one(manifests, "Deployment", WORKER))
    check = ["python", "-m", "workers", "--check"]
    assert worker["livenessProbe"]["exec"]["command"] == check
    assert worker["startupProbe"]["exec"]["command"] == check


def test_one_image_two_commands(render: Render) -> None:
    manifests = render()
    (api,) = containers(one(manifests, "Deployment", API))
    (worker,) = containers(one(manifests, "Deployment", WORKER))
    assert api["image"] == worker["image"]
    assert api["command"] == ["python", "-m", "app"]
    assert worker["command"] == ["python", "-m", "workers"]


@pytest.mark.parametrize("values_file", VALUE_SETS)
def test_pods_run_as_non_root_on_a_read_only_root_fs(render: Render, values_file: str) -> None:
    for workload in (m for m in render(values_file) if m["kind"] in WORKLOADS):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["automountServiceAccountToken"] is False
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]]
            assert container["resources"]["requests"]


def checksums(manifests: list[dict], name: str) -> dict[str, str]:
    annotations = one(manifests, "Deployment", name)["spec"]["template"]["metadata"]
    return {k: v for k, v in annotations["annotations"].items() if k.startswith("checksum/")}


def test_config_and_secret_changes_roll_the_pods(render: Render) -> None:
    base = render()
    config_changed = render(None, "config.LOG_LEVEL=DEBUG")
    secret_changed = render(None, "externalRedis.url=redis://cache:6379/1")
    for name in (API, WORKER):
        assert checksums(base, name).keys() == {"checksum/config", "checksum/secret"}
        assert (
            checksums(config_changed, name)["checksum/config"]
            != checksums(base, name)["checksum/config"]
        )
        assert (
            checksums(secret_changed, name)["checksum/secret"]
            != checksums(base, name)["checksum/secret"]
        )


def test_defaults_use_external_databases_from_the_chart_secret(render: Render) -> None:
    manifests = render()
    assert not find(manifests, "StatefulSet")
    data = secret_data(one(manifests, "Secret", FULLNAME))
    assert set(data) == CONTAINER_SECRETS["api"]
    for workload, component in ((API, "api"), (WORKER, "worker")):
        (container,) = containers(one(manifests, "Deployment", workload))
        refs = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container["env"]
            if "secretKeyRef" in e["valueFrom"]
        }
        expected = CONTAINER_SECRETS[component]
        assert refs == {name: {"name": FULLNAME, "key": name} for name in expected}


def test_auth_is_on_with_a_generated_bootstrap_key_and_rate_limits(render: Render) -> None:
    manifests = render()
    config = one(manifests, "ConfigMap", FULLNAME)["data"]
    assert config["AUTH_ENABLED"] == "true"
    settings = Settings(
        _env_file=None,
        auth_enabled=config["AUTH_ENABLED"],
        rate_limit=config["RATE_LIMIT"],
        rate_limit_train=config["RATE_LIMIT_TRAIN"],
        bootstrap_admin_key=secret_data(one(manifests, "Secret", FULLNAME))["BOOTSTRAP_ADMIN_KEY"],
    )
    assert settings.auth_enabled and settings.rate_limit and settings.bootstrap_admin_key
    off = one(render(None, "auth.enabled=false"), "ConfigMap", FULLNAME)["data"]
    assert off["AUTH_ENABLED"] == "false"


def test_metrics_token_goes_to_the_secret_the_api_and_the_service_monitor(render: Render) -> None:
    token = "m" * 40
    manifests = render("keda-values.yaml", f"auth.metricsToken={token}")
    assert secret_data(one(manifests, "Secret", FULLNAME))["METRICS_TOKEN"] == token
    (api,) = containers(one(manifests, "Deployment", API))
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in api["env"]}
    assert refs["METRICS_TOKEN"] == {"name": FULLNAME, "key": "METRICS_TOKEN"}
    (endpoint,) = one(manifests, "ServiceMonitor", API)["spec"]["endpoints"]
    assert endpoint["authorization"]["credentials"] == {"name": FULLNAME, "key": "METRICS_TOKEN"}
    assert (
        "authorization"
        not in one(render("keda-values.yaml"), "ServiceMonitor", API)["spec"]["endpoints"][0]
    )


def test_bundled_databases_share_one_generated_password(render: Render) -> None:
    manifests = render("bundled-values.yaml")
    urls = secret_data(one(manifests, "Secret", FULLNAME))
    mongodb_password = secret_data(one(manifests, "Secret", f"{FULLNAME}-mongodb"))
    redis_password = secret_data(one(manifests, "Secret", f"{FULLNAME}-redis"))
    assert len(mongodb_password["mongodb-root-password"]) >= 24
    assert len(mongodb_password["mongodb-app-password"]) >= 24
    settings = Settings(
        _env_file=None, mongodb_url=urls["MONGODB_URL"], redis_url=urls["REDIS_URL"]
    )
    (host,) = settings.mongodb_url.hosts()
    assert host["password"] == mongodb_password["mongodb-app-password"]
    assert host["host"] == f"{FULLNAME}-mongodb"
    assert settings.redis_url.password == redis_password["redis-password"]
    assert settings.redis_url.host == f"{FULLNAME}-redis"


def test_bundled_mongodb_has_auth_and_a_volume(render: Render) -> None:
    manifests = render("bundled-values.yaml")
    statefulset = one(manifests, "StatefulSet", f"{FULLNAME}-mongodb")
    (mongodb,) = containers(statefulset)
    assert mongodb["image"] == "mongo:7.0"
    env = {e["name"]: e for e in mongodb["env"]}
    password_ref = env["MONGO_INITDB_ROOT_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password_ref == {"name": f"{FULLNAME}-mongodb", "key": "mongodb-root-password"}
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/data/db"} in mongodb["volumeMounts"]


def test_bundled_redis_appends_only_with_a_password_off_its_command_line(render: Render) -> None:
    manifests = render("bundled-values.yaml")
    statefulset = one(manifests, "StatefulSet", f"{FULLNAME}-redis")
    (redis,) = containers(statefulset)
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert not any("pass" in argument for argument in command)
    secret = secret_data(one(manifests, "Secret", f"{FULLNAME}-redis"))
    assert secret["redis.conf"] == f'requirepass "{secret["redis-password"]}"\n'
    mounts = {m["name"]: m["mountPath"] for m in redis["volumeMounts"]}
    volumes = {v["name"]: v for v in statefulset["spec"]["template"]["spec"]["volumes"]}
    config = volumes["config"]["secret"]
    assert config["secretName"] == f"{FULLNAME}-redis"
    assert command[1] == f"{mounts['config']}/{config['items'][0]['path']}"
    assert config["items"][0]["key"] == "redis.conf"
    assert statefulset["spec"]["volumeClaimTemplates"]


def test_app_connects_to_the_bundled_mongodb_as_its_own_user(render: Render) -> None:
    manifests = render("bundled-values.yaml")
    url = secret_data(one(manifests, "Secret", FULLNAME))["MONGODB_URL"]
    settings = Settings(_env_file=None, mongodb_url=url)
    (host,) = settings.mongodb_url.hosts()
    assert host["username"] == "tensorfleet_app"
    assert settings.mongodb_url.query == f"authSource={settings.mongodb_db}"
    (job,) = find(manifests, "Job")
    assert job["metadata"]["name"] == f"{FULLNAME}-mongodb-user-1"
    (container,) = containers(job)
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["MONGO_APP_USERNAME"] == host["username"]
    assert env["TENSORFLEET_DB"] == settings.mongodb_db
    assert env["MONGO_APP_PASSWORD"]["secretKeyRef"]["key"] == "mongodb-app-password"
    script = one(manifests, "ConfigMap", f"{FULLNAME}-mongodb-user")["data"]
    assert script["mongodb-app-user.js"] == (CHART / "files" / "mongodb-app-user.js").read_text()
    assert container["command"][-1].endswith("/mongodb-app-user.js")
    assert 'role: "readWrite", db: env.TENSORFLEET_DB' in script["mongodb-app-user.js"]
    assert not any("PASSWORD" in argument for argument in container["command"])


def test_existing_secret_replaces_the_chart_secret(render: Render) -> None:
    manifests = render("existing-secret-values.yaml")
    assert not find(manifests, "Secret")
    for workload in (API, WORKER):
        deployment = one(manifests, "Deployment", workload)
        (container,) = containers(deployment)
        for env in container["env"]:
            if "secretKeyRef" in env["valueFrom"]:
                assert env["valueFrom"]["secretKeyRef"]["name"] == "tensorfleet-connection"
        assert "checksum/secret" not in deployment["spec"]["template"]["metadata"]["annotations"]


OWN_SECRETS = (
    "externalMongodb.existingSecret=mongo-conn",
    "externalMongodb.existingSecretKey=connectionString.standard",
    "externalRedis.existingSecret=redis-conn",
)


def url_refs(manifests: list[Manifest], workload: str) -> dict[str, dict[str, str]]:
    (container,) = containers(one(manifests, "Deployment", workload))
    urls = [e for e in container["env"] if e["name"] in ("MONGODB_URL", "REDIS_URL")]
    return {e["name"]: e["valueFrom"]["secretKeyRef"] for e in urls}


def test_each_external_database_may_name_its_own_secret(render: Render) -> None:
    """An operator-written Secret per database (its own key names): the pods read each URL
    from there and the chart's Secret keeps only what it still owns, the admin key."""
    manifests = render(None, "externalMongodb.url=", "externalRedis.url=", *OWN_SECRETS)
    for workload in (API, WORKER):
        assert url_refs(manifests, workload) == {
            "MONGODB_URL": {"name": "mongo-conn", "key": "connectionString.standard"},
            "REDIS_URL": {"name": "redis-conn", "key": "REDIS_URL"},
        }
    assert set(secret_data(one(manifests, "Secret", FULLNAME))) == {"BOOTSTRAP_ADMIN_KEY"}


def test_a_database_s_own_secret_yields_to_the_bundled_one_and_to_existing_secret(
    render: Render,
) -> None:
    bundled = render("bundled-values.yaml", *OWN_SECRETS)
    assert {r["name"] for r in url_refs(bundled, API).values()} == {FULLNAME}
    assert {"MONGODB_URL", "REDIS_URL"} <= set(secret_data(one(bundled, "Secret", FULLNAME)))
    existing = render("existing-secret-values.yaml", *OWN_SECRETS)
    refs = url_refs(existing, WORKER)
    assert refs == {
        "MONGODB_URL": {"name": "tensorfleet-connection", "key": "MONGODB_URL"},
        "REDIS_URL": {"name": "tensorfleet-connection", "key": "REDIS_URL"},
    }


def test_keda_scales_workers_on_the_arq_queue(render: Render) -> None:
    manifests = render("keda-values.yaml")
    assert "replicas" not in one(manifests, "Deployment", WORKER)["spec"]
    scaled = one(manifests, "ScaledObject", WORKER)
    assert scaled["spec"]["scaleTargetRef"]["name"] == WORKER
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    configmap = one(manifests, "ConfigMap", FULLNAME)
    assert trigger["metadata"]["listName"] == configmap["data"]["QUEUE_NAME"]
    assert configmap["data"]["QUEUE_NAME"] == Settings.model_fields["queue_name"].default
    # Namespace-qualified: KEDA's operator resolves a short name in its own namespace.
    assert trigger["metadata"]["address"] == f"{FULLNAME}-redis.ml.svc:6379"
    auth = one(manifests, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": f"{FULLNAME}-redis", "key": "redis-password"}
    ]


def test_keda_with_external_redis_uses_the_given_address_and_secret(render: Render) -> None:
    manifests = render("existing-secret-values.yaml")
    (trigger,) = one(manifests, "ScaledObject", WORKER)["spec"]["triggers"]
    assert trigger["metadata"]["address"] == "redis-master.data.svc:6379"
    auth = one(manifests, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    assert (
        auth["spec"]["secretTargetRef"][0] | {"name": "redis-auth", "key": "password"}
        == (auth["spec"]["secretTargetRef"][0])
    )


def test_without_keda_workers_have_a_fixed_count(render: Render) -> None:
    manifests = render(None, "worker.replicaCount=3")
    assert one(manifests, "Deployment", WORKER)["spec"]["replicas"] == 3
    assert not find(manifests, "ScaledObject")


def test_api_hpa_ingress_and_service_monitors(render: Render) -> None:
    manifests = render("keda-values.yaml")
    assert "replicas" not in one(manifests, "Deployment", API)["spec"]
    hpa = one(manifests, "HorizontalPodAutoscaler", API)
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": API,
    }
    ingress = one(manifests, "Ingress", API)
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": API, "port": {"name": "http"}}
    monitors = {m["metadata"]["name"]: m for m in find(manifests, "ServiceMonitor")}
    assert monitors[API]["spec"]["endpoints"][0]["port"] == "http"
    assert monitors[WORKER]["spec"]["endpoints"][0]["port"] == "metrics"
    for name, monitor in monitors.items():
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        services = [
            s
            for s in find(manifests, "Service")
            if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
        ]
        assert services, f"ServiceMonitor {name} selects no Service"
        port = monitor["spec"]["endpoints"][0]["port"]
        assert any(p["name"] == port for s in services for p in s["spec"]["ports"])


def test_an_ingress_host_given_alone_routes_everything_to_the_api(render: Render) -> None:
    """`--set api.ingress.hosts[0].host=...` replaces the default host list with one that has
    no paths: it still renders (paths default to /, pathTypes to Prefix), with TLS as given."""
    manifests = render(
        None,
        "api.ingress.enabled=true",
        "api.ingress.className=nginx",
        "api.ingress.hosts[0].host=ml.example.com",
        "api.ingress.hosts[1].host=ml2.example.com",
        "api.ingress.hosts[1].paths[0].path=/v2",
        "api.ingress.tls[0].secretName=ml-tls",
        "api.ingress.tls[0].hosts[0]=ml.example.com",
    )
    spec = one(manifests, "Ingress", API)["spec"]
    routes = {
        r["host"]: [(p["path"], p["pathType"]) for p in r["http"]["paths"]] for r in spec["rules"]
    }
    assert routes == {"ml.example.com": [("/", "Prefix")], "ml2.example.com": [("/v2", "Prefix")]}
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"secretName": "ml-tls", "hosts": ["ml.example.com"]}]


def test_pods_carry_prometheus_scrape_annotations(render: Render) -> None:
    manifests = render()
    for name, port in ((API, "8000"), (WORKER, "9100")):
        annotations = one(manifests, "Deployment", name)["spec"]["template"]["metadata"][
            "annotations"
        ]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == port
        assert annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ("replicaCuont=2", "additional properties 'replicaCuont' not allowed"),
        ("api.replicaCount=two", "/api/replicaCount"),
        ("config.LOG_LEVEL=LOUD", "/config/LOG_LEVEL"),
        ("config.MONGODB_URL=mongodb://u:p@h/", "additional properties 'MONGODB_URL'"),
        ("worker.keda.enabeld=true", "additional properties 'enabeld'"),
        ("mongodb.persistance.size=1Gi", "additional properties 'persistance'"),
    ],
)
def test_schema_rejects_bad_values(setting: str, error: str) -> None:
    result = helm("template", RELEASE, str(CHART), "--set", setting)
    assert result.returncode != 0
    assert error in result.stderr


def test_combinations_the_schema_cannot_express_fail_with_a_message() -> None:
    defaults = str(CI_VALUES / "default-values.yaml")
    result = helm(
        "template", RELEASE, str(CHART), "-f", defaults, "--set", "worker.keda.enabled=true"
    )
    assert result.returncode != 0 and "worker.keda.redis.address" in result.stderr


def test_schema_locks_the_top_level_and_the_main_objects() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["additionalProperties"] is False
    for key in ("image", "config", "api", "worker", "metrics", "mongodb", "redis"):
        assert schema["properties"][key]["additionalProperties"] is False, key


def render_notes(tmp_path: Path, *sets: str) -> str:
    """NOTES.txt as `helm install` prints it, without a cluster: the chart copied with a
    ConfigMap template that renders the notes through `tpl`."""
    chart = tmp_path / "tensorfleet"
    shutil.copytree(CHART, chart)
    shutil.copy(chart / "templates" / "NOTES.txt", chart / "notes.txt")
    (chart / "templates" / "notes-under-test.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"
        'data:\n  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}\n'
    )
    args = ["template", RELEASE, str(chart), "--namespace", "ml", "-f", str(CI_VALUES / DEFAULTS)]
    args += ["--show-only"]
    args += ["templates/notes-under-test.yaml", *(a for s in sets for a in ("--set", s))]
    result = helm(*args)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["data"]["notes"]


def test_notes_tell_how_to_reach_swagger_and_train(tmp_path: Path) -> None:
    notes = render_notes(tmp_path)
    assert f"kubectl --namespace ml port-forward service/{API} 8000:8000" in notes
    assert "http://localhost:8000/docs" in notes
    assert "curl -X POST http://localhost:8000/train" in notes
    assert "curl http://localhost:8000/health" in notes


def test_notes_with_ingress_point_at_its_host(tmp_path: Path) -> None:
    notes = render_notes(tmp_path, "api.ingress.enabled=true")
    assert "http://tensorfleet.example.com/docs" in notes


def test_a_default_install_stops_and_names_the_choices() -> None:
    """No database address works by default: `helm install` must stop, not crash-loop."""
    result = helm("template", RELEASE, str(CHART))
    assert result.returncode != 0
    for choice in ("externalMongodb.url", "mongodb.enabled=true", "existingSecret"):
        assert choice in result.stderr
    redis_only = helm("template", RELEASE, str(CHART), "--set", "mongodb.enabled=true")
    assert redis_only.returncode != 0 and "externalRedis.url" in redis_only.stderr


def test_existing_secret_must_hold_the_admin_key_while_auth_is_on(render: Render) -> None:
    def admin_key_ref(*sets: str) -> dict:
        (api,) = containers(one(render("existing-secret-values.yaml", *sets), "Deployment", API))
        (ref,) = (e for e in api["env"] if e["name"] == "BOOTSTRAP_ADMIN_KEY")
        return ref["valueFrom"]["secretKeyRef"]

    assert admin_key_ref() == {"name": "tensorfleet-connection", "key": "BOOTSTRAP_ADMIN_KEY"}
    assert admin_key_ref("auth.enabled=false")["optional"] is True
    docs = (ROOT / "docs" / "deployment.md").read_text()
    example = docs[docs.index("create secret generic tensorfleet-connection") :]
    assert "--from-literal=BOOTSTRAP_ADMIN_KEY=" in example[: example.index("```")]


def test_the_image_is_the_tag_the_docs_build(render: Render) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    (api,) = containers(one(render("bundled-values.yaml"), "Deployment", API))
    assert api["image"] == f"tensorfleet:{chart['appVersion']}"
    assert f"docker build -t {api['image']} ." in (ROOT / "docs" / "deployment.md").read_text()


def test_api_has_a_disruption_budget(render: Render) -> None:
    budget = one(render(), "PodDisruptionBudget", API)
    deployment = one(render(), "Deployment", API)
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]


def pod_labels(manifests: list, kind: str, name: str) -> dict:
    return one(manifests, kind, name)["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, labels: dict) -> bool:
    return selector["matchLabels"].items() <= labels.items()


def test_network_policies_admit_only_the_releases_pods_keda_and_monitoring(
    render: Render,
) -> None:
    manifests = render("keda-values.yaml")
    api, worker = (
        pod_labels(manifests, "Deployment", API),
        pod_labels(manifests, "Deployment", WORKER),
    )
    job = one(manifests, "Job", f"{FULLNAME}-mongodb-user-1")["spec"]["template"]["metadata"]
    for database in ("mongodb", "redis"):
        policy = one(manifests, "NetworkPolicy", f"{FULLNAME}-{database}")
        target = pod_labels(manifests, "StatefulSet", f"{FULLNAME}-{database}")
        assert selects(policy["spec"]["podSelector"], target)
        (rule,) = policy["spec"]["ingress"]
        pods = [p["podSelector"] for p in rule["from"] if "podSelector" in p]
        assert any(selects(p, api) for p in pods) and any(selects(p, worker) for p in pods)
        assert not any(
            selects(p, pod_labels(manifests, "StatefulSet", f"{FULLNAME}-redis"))
            for p in pods
            if database == "mongodb"
        )
        namespaces = [
            p["namespaceSelector"]["matchLabels"] for p in rule["from"] if "namespaceSelector" in p
        ]
        assert namespaces == (
            [{"kubernetes.io/metadata.name": "keda"}] if database == "redis" else []
        )
    mongodb_rule = one(manifests, "NetworkPolicy", f"{FULLNAME}-mongodb")["spec"]["ingress"][0]
    assert any(
        selects(p["podSelector"], job["labels"]) for p in mongodb_rule["from"] if "podSelector" in p
    )
    (metrics,) = one(manifests, "NetworkPolicy", WORKER)["spec"]["ingress"]
    assert metrics["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    assert metrics["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    without_keda = render("bundled-values.yaml")
    (rule,) = one(without_keda, "NetworkPolicy", f"{FULLNAME}-redis")["spec"]["ingress"]
    assert not any("namespaceSelector" in p for p in rule["from"])


def test_helm_test_asks_health_through_the_service(render: Render) -> None:
    manifests = render()
    (pod,) = (m for m in find(manifests, "Pod") if m["metadata"]["name"].endswith("test-health"))
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    service = one(manifests, "Service", API)
    assert f"http://{API}:{service['spec']['ports'][0]['port']}/health" in container["command"][-1]
    assert container["image"] == next(containers(one(manifests, "Deployment", API)))["image"]


def test_worker_grace_period_and_probe_are_per_pod(render: Render) -> None:
    deployment = one(render(), "Deployment", WORKER)
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 30
    values = (CHART / "values.yaml").read_text()
    assert "stops the fits it is running" in values and "another pod's" in values


def test_schema_config_block_is_generated_from_settings() -> None:
    """A setting added to app/config.py must be settable from `config:`; rerun the generator."""
    result = subprocess.run(
        [sys.executable, "-m", "deploy.chart_schema", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("setting", ["MAX_BODY_BYTES=2097152", "JOB_REQUEUE_AFTER_SECONDS=120"])
def test_settings_the_old_schema_rejected_are_accepted(render: Render, setting: str) -> None:
    name, value = setting.split("=")
    assert one(render(None, f"config.{setting}"), "ConfigMap", FULLNAME)["data"][name] == value


def test_notes_render_with_an_ingress_without_hosts(tmp_path: Path) -> None:
    notes = render_notes(tmp_path, "api.ingress.enabled=true", "api.ingress.hosts=null")
    assert "the Ingress has no host" in notes
    assert f"port-forward service/{API}" in notes
