"""schemathesis against the live /openapi.json of a real `python -m app` with auth on and an
admin key: every operation, a fixed number of examples each, in both generation modes.
Positive (inputs the document allows): no server error and every response as the document
describes it. Negative (inputs the document forbids: wrong types, out-of-range numbers, missing
fields, extra properties): no server error."""

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from tests.samples import ADMIN, BOOTSTRAP_KEY, iris_model_bytes, publish
from tests.support import Process, SettingsFactory, run_api

EXAMPLES_PER_OPERATION = 30
CHECKS = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    ],
    # Refusals of forbidden input need not be listed per operation; a 5xx is never right.
    GenerationMode.NEGATIVE: [not_a_server_error],
}


@pytest.fixture(scope="module")
def fuzz_settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(auth_enabled=True, bootstrap_admin_key=BOOTSTRAP_KEY)


@pytest.fixture(scope="module")
def live_api(
    fuzz_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    with run_api(fuzz_settings, tmp_path_factory.mktemp("fuzz") / "api.log") as api:
        yield api
    assert "Traceback" not in api.output(), api.output()


@pytest.fixture(scope="module")
async def live_schema(live_api: Process, fuzz_settings: Settings):
    await publish(fuzz_settings, iris_model_bytes(), name="fuzzed")  # something to find
    return schemathesis.openapi.from_url(f"{live_api.url}/openapi.json")


SETTINGS = hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def fuzz(operation, mode: GenerationMode) -> int:
    """Run the operation's examples in one generation mode; the number of requests made."""
    calls = 0

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        nonlocal calls
        calls += 1
        case.call_and_validate(headers=ADMIN, checks=CHECKS[mode], timeout=30)

    try:
        run()
    except Unsatisfiable:  # negative mode: nothing of this operation can be made invalid
        assert mode is GenerationMode.NEGATIVE, operation.label
    return calls


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
def test_every_operation_survives_fuzzing(live_schema, mode: GenerationMode) -> None:
    # Not schemathesis.pytest.from_fixture: it reads a private pytest attribute that pytest 9
    # removed. The same strategies, driven per operation.
    counts = {}
    for result in live_schema.get_all_operations():
        operation = result.ok()
        counts[operation.label] = fuzz(operation, mode)
    print(f"\nschemathesis {mode.value} requests per operation:", counts, sum(counts.values()))
    assert len(counts) >= 20
    if mode is GenerationMode.POSITIVE:
        assert all(count >= 1 for count in counts.values())
    else:  # operations without inputs (GET /health, ...) have nothing to make invalid
        assert sum(count >= 1 for count in counts.values()) >= len(counts) // 2, counts


def test_the_fuzzed_api_logged_no_traceback(live_api: Process) -> None:
    assert "Traceback" not in live_api.output()
