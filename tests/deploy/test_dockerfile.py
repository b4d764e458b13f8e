"""The Dockerfile: lint-clean, multi-stage, locked dependencies, non-root, health-checked."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.deploy.support import ROOT

DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def stages() -> list[list[str]]:
    """Instructions per stage, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    result: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        if result:
            result[-1].append(line)
    return result


def final_stage() -> list[str]:
    return stages()[-1]


def instructions(stage: list[str], keyword: str) -> list[str]:
    return [line for line in stage if line.split()[0].upper() == keyword]


def test_hadolint_passes_with_no_finding() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_builds_in_one_stage_and_runs_in_another_from_the_same_slim_base() -> None:
    assert len(stages()) >= 2
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", DOCKERFILE.read_text(), re.M)
    assert base and "slim" in base.group(1)
    assert all(s[0].startswith("FROM ${PYTHON_IMAGE}") for s in stages())


def test_dependencies_come_from_the_lock_with_makes_uv() -> None:
    make_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert make_uv, "Makefile has no UV_VERSION"
    build = "\n".join(stages()[0])
    assert f"ARG UV_VERSION={make_uv.group(1)}" in build
    syncs = [line for line in build.splitlines() if "uv sync" in line]
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs)


def wheel_packages(project: Path) -> list[str]:
    """The packages a project's wheel holds, as paths from the repository root."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    return [str((project / package).relative_to(ROOT)) for package in packages]


def workspace_members() -> list[str]:
    """The uv workspace's other projects (the client), as paths from the repository root."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"][
        "members"
    ]


def test_every_package_of_both_wheels_is_copied_into_the_build() -> None:
    """The server's wheel and the client's (a workspace member the server depends on)."""
    members = [ROOT / member for member in workspace_members()]
    copied = {line.split()[1] for line in instructions(stages()[0], "COPY")}
    for package in [p for project in [ROOT, *members] for p in wheel_packages(project)]:
        assert package in copied, f"{package}/ is in a wheel but not copied into the image"
    sources = ["pyproject.toml", "uv.lock", "README.md"]
    for source in sources + [f"{m.relative_to(ROOT)}/pyproject.toml" for m in members]:
        assert any(source in line for line in instructions(stages()[0], "COPY")), source


def test_final_stage_has_no_build_tools() -> None:
    runtime = "\n".join(final_stage())
    assert "uv " not in runtime and "pip install" not in runtime
    assert not re.search(r"apt-get install|build-essential|gcc", runtime)
    assert "pip uninstall" in runtime, "pip, setuptools and wheel should be removed"
    assert instructions(final_stage(), "COPY") == ["COPY --from=build /opt/venv /opt/venv"]


def test_runs_as_a_non_root_user() -> None:
    users = instructions(final_stage(), "USER")
    assert users, "no USER in the final stage"
    user = users[-1].split()[1].split(":")[0]
    assert user not in {"0", "root"}
    assert int(user) >= 1000


def test_serves_the_api_by_default_and_checks_its_health() -> None:
    assert instructions(final_stage(), "CMD")[-1] == 'CMD ["python", "-m", "app"]'
    healthcheck = instructions(final_stage(), "HEALTHCHECK")
    assert len(healthcheck) == 1 and "/health" in healthcheck[0]
    assert "os.environ.get('PORT', '8000')" in healthcheck[0]


def test_dockerignore_keeps_data_venvs_tools_and_secrets_out() -> None:
    patterns = set((ROOT / ".dockerignore").read_text().split())
    for required in (".git", ".venv", ".tools", "data", "bench/results", ".env"):
        assert required in patterns, f"{required} is not in .dockerignore"
    for copied in ("app", "workers", "client", "pyproject.toml", "uv.lock", "README.md"):
        assert copied not in patterns


def test_base_image_is_pinned_by_digest() -> None:
    """A tag moves; a digest rebuilds the same interpreter and Debian packages."""
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", DOCKERFILE.read_text(), re.M)
    assert base and re.fullmatch(r"python:3\.11-slim-\w+@sha256:[0-9a-f]{64}", base.group(1))


def test_dependency_layer_holds_only_what_the_lock_needs() -> None:
    """Editing the README or the code must not reinstall every dependency: the first sync
    (dependencies only) comes after a COPY of the project metadata and lock alone."""
    build = stages()[0]
    first_sync = next(i for i, line in enumerate(build) if "uv sync" in line)
    assert "--no-install-workspace" in build[first_sync]
    copied_before = [line for line in build[:first_sync] if line.startswith("COPY")]
    members = [f"COPY {m}/pyproject.toml ./{m}/" for m in workspace_members()]
    assert copied_before == ["COPY pyproject.toml uv.lock ./", *members]


def test_uv_keeps_its_cache_in_a_build_cache_mount() -> None:
    syncs = [line for line in stages()[0] if "uv sync" in line]
    assert all("--mount=type=cache,target=/root/.cache/uv" in line for line in syncs)
