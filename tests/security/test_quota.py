"""The cap on active (queued and running) jobs per API key, or per client address with auth
off: beyond it a 429 that says why, nothing recorded or queued; other callers unaffected."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.resources import Resources, open_resources
from tests.samples import BOOTSTRAP_KEY, MakeKey, bearer
from tests.support import SettingsFactory, replica

CAP = 2
BODY = {"dataset_name": "iris", "algorithm": "decision_tree", "model_name": "quota"}


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        auth_enabled=True, bootstrap_admin_key=BOOTSTRAP_KEY, max_active_jobs_per_key=CAP
    )


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    opened = await open_resources(settings)
    yield opened
    await opened.close()


async def submit(http: httpx.AsyncClient, key: dict, job_id: str) -> httpx.Response:
    return await http.post("/train", json=BODY | {"job_id": job_id}, headers=key)


async def test_beyond_the_cap_is_429_saying_why_and_nothing_is_kept(
    client: httpx.AsyncClient, make_key: MakeKey, resources: Resources, settings: Settings
) -> None:
    key = bearer((await make_key("train"))["key"])
    assert [(await submit(client, key, f"q{i}")).status_code for i in range(CAP)] == [202] * CAP
    queued = await resources.redis.zcard(settings.queue_name)
    refused = await submit(client, key, "q_over")
    assert refused.status_code == 429
    assert "MAX_ACTIVE_JOBS_PER_KEY" in refused.json()["detail"]
    assert f"already has {CAP} queued or running jobs" in refused.json()["detail"]
    assert (await client.get("/jobs/q_over", headers=key)).status_code == 404
    assert await resources.redis.zcard(settings.queue_name) == queued

    other = bearer((await make_key("train"))["key"])
    assert (await submit(client, other, "q_other")).status_code == 202

    assert (await client.post("/jobs/q0/cancel", headers=key)).status_code == 200
    assert (await submit(client, key, "q_after_cancel")).status_code == 202


async def test_concurrent_submissions_never_exceed_the_cap(
    client: httpx.AsyncClient, make_key: MakeKey, resources: Resources
) -> None:
    created = await make_key("train")
    key = bearer(created["key"])
    responses = await asyncio.gather(*(submit(client, key, f"race{i}") for i in range(8)))
    accepted = [r for r in responses if r.status_code == 202]
    assert {r.status_code for r in responses} <= {202, 429}
    # Each submission counts after recording itself, so a race may refuse more, never admit more.
    assert len(accepted) <= CAP
    owner = f"key:{created['id']}"
    assert await resources.db["jobs"].count_documents({"owner": owner}) == len(accepted)
    more = [(await submit(client, key, f"after{i}")).status_code for i in range(CAP + 1)]
    assert more == [202] * (CAP - len(accepted)) + [429] * (len(accepted) + 1)


async def test_with_auth_off_the_cap_is_per_client_address(
    settings_factory: SettingsFactory,
) -> None:
    open_settings = settings_factory(max_active_jobs_per_key=1)
    async with replica(open_settings, "10.1.0.1") as one, replica(open_settings, "10.1.0.2") as two:
        assert (await submit(one, {}, "open1")).status_code == 202
        assert (await submit(one, {}, "open2")).status_code == 429
        assert (await submit(two, {}, "open3")).status_code == 202


async def test_zero_means_no_cap(settings_factory: SettingsFactory) -> None:
    uncapped = settings_factory(max_active_jobs_per_key=0)
    async with replica(uncapped, "10.1.0.3") as http:
        codes = [(await submit(http, {}, f"free{i}")).status_code for i in range(5)]
    assert codes == [202] * 5
