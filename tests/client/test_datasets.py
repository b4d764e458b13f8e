"""Dataset uploads through the client (sync and async) and the CLI, against the real service."""

import io
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq import Worker
from fastapi import FastAPI

from tensorfleet.cli.state import EXIT_ERROR
from tensorfleet.client import (
    AsyncTensorFleetClient,
    Conflict,
    TensorFleetClient,
    TensorFleetError,
)
from tests.client.support import Server, Tensorfleet
from tests.client.test_cli import ok_json, one_line_error


def customers_csv(rows: int, seed: int = 7) -> bytes:
    """Numeric, categorical and boolean columns with gaps, a yes/no target."""
    rng = random.Random(seed)
    lines = ["age,plan,city,member,churned"]
    for i in range(rows):
        age = "" if i % 9 == 0 else str(rng.randint(18, 80))
        plan = rng.choice(["basic", "plus", "pro"])
        city = rng.choice(["Lyon", "Oslo", "Porto", ""])
        member = rng.choice(["true", "false"])
        lines.append(f"{age},{plan},{city},{member},{rng.choice(['yes', 'no'])}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def tf(live: Server) -> Iterator[TensorFleetClient]:
    with TensorFleetClient(live.url) as client:
        yield client


def test_upload_streams_with_progress_then_show_preview_delete(
    tf: TensorFleetClient, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(customers_csv(70_000))  # two chunks
    seen: list[tuple[int, int | None]] = []
    uploaded = tf.upload_dataset(
        path, name="customers", target="churned", progress=lambda *p: seen.append(p)
    )
    size = path.stat().st_size
    assert len(seen) > 1 and seen[-1] == (size, size)
    assert (uploaded.status, uploaded.version, uploaded.size) == ("ingesting", 1, size)
    ready = tf.wait_for_dataset("customers", 1, timeout=120)
    assert (ready.status, ready.task, ready.n_samples) == ("ready", "classification", 70_000)
    by_name = {c.name: c for c in ready.columns or []}
    assert by_name["age"].missing == len(range(0, 70_000, 9))
    assert by_name["plan"].type == "categorical"
    assert [v.version for v in tf.get_dataset("customers").versions] == [1]
    preview = tf.preview_dataset("customers", 1, rows=3)
    assert [row["plan"] for row in preview.rows] == [
        line.split(",")[1] for line in path.read_text().splitlines()[1:4]
    ]
    assert tf.delete_dataset("customers", 1).models == []
    assert "customers" not in {d.name for d in tf.list_datasets()}


def test_delete_is_refused_while_a_model_uses_the_version(tf: TensorFleetClient) -> None:
    tf.upload_dataset(io.BytesIO(customers_csv(200)), name="used", target="churned")
    assert tf.wait_for_dataset("used", 1, timeout=120).status == "ready"
    job = tf.wait_for_job(
        tf.train(dataset_name="used", algorithm="decision_tree", model_name="used-tree").job_id,
        timeout=120,
    )
    with pytest.raises(Conflict) as refused:
        tf.delete_dataset("used", 1)
    assert job.model_id and f"used-tree v1 ({job.model_id})" in refused.value.message
    assert tf.delete_dataset("used", 1, force=True).models == [job.model_id]


def test_a_bad_file_is_the_servers_4xx_message(tf: TensorFleetClient) -> None:
    with pytest.raises(TensorFleetError) as refused:
        tf.upload_dataset(io.BytesIO(b"\x00\xff\x00binary"), name="junk", target="y")
    assert refused.value.status_code == 415 and "CSV" in refused.value.message
    with pytest.raises(TensorFleetError) as unnamed:
        tf.upload_dataset(io.BytesIO(customers_csv(5)), name="no spaces", target="churned")
    assert unnamed.value.status_code == 422 and "name" in unnamed.value.message


def test_cli_upload_wait_show_preview_delete(
    live: Server, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(customers_csv(120_000))  # over one chunk: the progress bar path
    url = ("--url", live.url)
    uploaded = tensorfleet(*url, "datasets", "upload", str(path), "-n", "big", "-t", "churned")
    assert uploaded.code == 0 and "ingesting" in uploaded.stdout, uploaded.stderr
    waited = tensorfleet(
        *url, "datasets", "upload", str(path), "-n", "big", "-t", "churned", "--wait", "--json"
    )  # the same bytes: the same version
    assert (ok_json(waited)["version"], ok_json(waited)["status"]) == (1, "ready")
    shown = ok_json(tensorfleet(*url, "datasets", "show", "big", "--json"))
    assert [v["status"] for v in shown["versions"]] == ["ready"]
    table = tensorfleet(*url, "datasets", "show", "big", "-v", "1")
    assert table.code == 0 and "categorical" in table.stdout
    assert len(ok_json(tensorfleet(*url, "datasets", "preview", "big", "--json"))["rows"]) == 10
    assert "big" in [d["name"] for d in ok_json(tensorfleet(*url, "datasets", "--json"))]
    assert "big" in tensorfleet(*url, "datasets", "list").stdout
    deleted = tensorfleet(*url, "datasets", "delete", "big", "1")
    assert deleted.code == 0 and "deleted dataset big v1" in deleted.stdout


def test_client_and_cli_upload_unlabeled_rows_without_a_target(
    tf: TensorFleetClient, live: Server, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    rows = b"\n".join(line.rsplit(b",", 1)[0] for line in customers_csv(60).splitlines())
    uploaded = tf.upload_dataset(io.BytesIO(rows + b"\n"), name="to-score")
    ready = tf.wait_for_dataset("to-score", uploaded.version, timeout=120)
    assert (ready.status, ready.target_column, ready.task, ready.n_samples) == (
        "ready",
        None,
        None,
        60,
    )
    assert [c.name for c in ready.columns or []] == ["age", "plan", "city", "member"]
    path = tmp_path / "more.csv"
    path.write_bytes(rows + b"\n40,pro,Oslo,true\n")
    url = ("--url", live.url)
    result = tensorfleet(*url, "datasets", "upload", str(path), "-n", "to-score", "--wait")
    assert result.code == 0 and "none (unlabeled)" in result.stdout, result.stderr


def test_cli_bad_file_is_one_line(live: Server, tensorfleet: Tensorfleet, tmp_path: Path) -> None:
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x00\xff\x00binary")
    result = tensorfleet("--url", live.url, "datasets", "upload", str(path), "-n", "j", "-t", "y")
    one_line_error(result, EXIT_ERROR, "HTTP 415")


async def test_async_client_uploads_a_file_object(app: FastAPI, worker: Worker) -> None:
    import httpx

    transport = httpx.ASGITransport(app=app.state.asgi)
    async with AsyncTensorFleetClient("http://testserver", transport=transport) as tf:
        sent: list[int] = []
        body = customers_csv(500)
        uploaded = await tf.upload_dataset(
            io.BytesIO(body), name="aio", target="churned", progress=lambda n, _: sent.append(n)
        )
        assert sent[-1] == len(body) and uploaded.status == "ingesting"
        ready = await tf.wait_for_dataset("aio", uploaded.version, timeout=120)
        assert ready.status == "ready" and ready.n_samples == 500
        assert len((await tf.preview_dataset("aio", 1, rows=2)).rows) == 2
        assert (await tf.get_dataset("aio")).versions[0].version == 1
        assert (await tf.delete_dataset("aio", 1)).name == "aio"
        assert json.loads((await tf.list_datasets())[0].model_dump_json())["name"] != "aio"
