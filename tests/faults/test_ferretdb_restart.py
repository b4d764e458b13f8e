"""FerretDB stops and starts during traffic: every error is a clean 503 (never a 500 or a
traceback), and the service recovers by itself."""

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx

from app.config import Settings
from tests.samples import FAULTS_AUTH as AUTH
from tests.samples import iris_model_bytes, publish
from tests.support import PrivateStack, run_api, wait_for

CLIENTS = 8


async def traffic(
    http: httpx.AsyncClient, headers: dict, paths: list[str], stop: asyncio.Event, seen: Counter
) -> None:
    n = 0
    while not stop.is_set():
        path = paths[n % len(paths)]
        n += 1
        try:
            response = await http.get(path, headers=headers)
        except httpx.TimeoutException:
            seen["timeout"] += 1
            continue
        seen[response.status_code] += 1
        if response.status_code >= 500:
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert response.json()["detail"].endswith("unavailable; retry shortly")
            assert response.headers["retry-after"]


async def test_ferretdb_restart_gives_clean_503s_and_recovers(
    private: PrivateStack, fault_settings: Settings, tmp_path: Path
) -> None:
    model = await publish(fault_settings, iris_model_bytes(), name="ferret-fault")
    with run_api(fault_settings, tmp_path / "api.log") as api:
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
            created = await http.post(
                "/api/v1/keys", json={"name": "reader", "scopes": ["read"]}, headers=AUTH
            )
            key = {"X-API-Key": created.json()["key"]}  # a stored key: its check needs MongoDB
            paths = [
                "/api/v1/models",
                f"/api/v1/models/{model['_id']}",
                "/api/v1/statistics",
                f"/api/v1/models/{model['_id']}/download",
                "/jobs",
                "/datasets",
            ]
            stop, seen = asyncio.Event(), Counter()
            workers = [
                asyncio.create_task(traffic(http, key, paths, stop, seen)) for _ in range(CLIENTS)
            ]
            await asyncio.sleep(2)
            private.ferretdb.stop()
            await wait_for(lambda: status_is(http, 503), timeout=20)
            await asyncio.sleep(6)  # past the driver's server-selection timeout
            private.ferretdb.start()
            started = time.monotonic()
            await wait_for(lambda: status_is(http, 200), timeout=60)
            await wait_for(lambda: all_ok(http, key, paths), timeout=30)
            recovered_in = time.monotonic() - started
            stop.set()
            await asyncio.gather(*workers)
    print(
        f"\nresponses during the FerretDB restart: {dict(seen)}; "
        f"recovered {recovered_in:.1f} s after it came back"
    )
    assert seen[503] > 0 and seen[200] > 0
    assert seen["timeout"] == 0, "every request is answered (a 503 at worst), none hangs"
    assert not {code for code in seen if isinstance(code, int) and code >= 500} - {503}
    output = api.output()
    assert "Traceback" not in output, output
    assert " 500 " not in output


async def status_is(http: httpx.AsyncClient, code: int) -> bool:
    return (await http.get("/health")).status_code == code


async def all_ok(http: httpx.AsyncClient, headers: dict, paths: list[str]) -> bool:
    codes = [(await http.get(path, headers=headers)).status_code for path in paths]
    return all(code == 200 for code in codes)
