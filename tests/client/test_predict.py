"""Predictions through the client (sync and async) and `tensorfleet predict`, from a model the
real worker trained: rows as dicts, as lists, as a DataFrame; by id, by name, by version."""

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.datasets import load_iris

from tensorfleet.client import AsyncTensorFleetClient, TensorFleetClient, TensorFleetError
from tensorfleet.schemas.registry import ModelRead
from tests.client.support import Server, Tensorfleet

IRIS = load_iris()
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
ROWS = IRIS.data[[0, 60, 120]].tolist()
SPECIES = ["setosa", "versicolor", "virginica"]


@pytest.fixture(scope="module")
def model(live: Server) -> Iterator[ModelRead]:
    with TensorFleetClient(live.url) as client:
        submitted = client.train(
            dataset_name="iris", algorithm="logistic_regression", model_name="iris-predict"
        )
        job = client.wait_for_job(submitted.job_id, timeout=300)
        assert job.status == "succeeded", job.error
        yield client.get_model(str(job.model_id))


def test_sync_client_predicts_dicts_and_lists(live: Server, model: ModelRead) -> None:
    records = [dict(zip(FEATURES, row, strict=True)) for row in ROWS]
    with TensorFleetClient(live.url) as client:
        by_records = client.predict(model, records, probabilities=True)
        by_rows = client.predict(model.id, ROWS)
        by_name = client.predict("iris-predict", ROWS)
        by_version = client.predict("iris-predict", ROWS, version=model.version)
    assert by_records.predictions == SPECIES
    assert by_rows.predictions == by_name.predictions == by_version.predictions == SPECIES
    assert by_name.model.id == model.id and by_version.model.version == model.version
    assert by_records.probabilities is not None
    assert [set(p) for p in by_records.probabilities] == [set(SPECIES)] * 3


async def test_async_client_predicts(live: Server, model: ModelRead) -> None:
    async with AsyncTensorFleetClient(live.url) as client:
        answer = await client.predict(model.id, ROWS)
        with pytest.raises(TensorFleetError) as bad:
            await client.predict(model.id, [[1.0, 2.0]])
    assert answer.predictions == SPECIES
    assert bad.value.status_code == 422 and "row has 2 values" in bad.value.message


def test_a_dataframe_is_sent_as_mlflows_split(live: Server, model: ModelRead) -> None:
    pandas = pytest.importorskip("pandas")  # optional for the client
    frame = pandas.DataFrame(ROWS, columns=FEATURES)
    with TensorFleetClient(live.url) as client:
        assert client.predict(model, frame).predictions == SPECIES


def test_cli_predicts_a_csv_file(
    live: Server, model: ModelRead, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    rows = tmp_path / "rows.csv"
    with rows.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(FEATURES)
        writer.writerows(ROWS * 400)  # 1,200 rows: more than one request
    out = tmp_path / "predictions.csv"
    args = ["--url", live.url, "predict", "iris-predict", "--file", str(rows)]
    result = tensorfleet(*args, "--proba", "--out", str(out))
    assert result.code == 0, result.stderr
    written = list(csv.DictReader(out.open()))
    assert len(written) == 1200
    assert [r["prediction"] for r in written[:3]] == SPECIES
    assert set(written[0]) == {"prediction", *(f"proba_{s}" for s in SPECIES)}
    printed = tensorfleet("--url", live.url, "predict", model.id, "--file", str(rows))
    assert printed.code == 0 and printed.stdout.splitlines()[:2] == ["prediction", "setosa"]


def test_cli_names_a_bad_row(
    live: Server, model: ModelRead, tensorfleet: Tensorfleet, tmp_path: Path
) -> None:
    rows = tmp_path / "bad.csv"
    rows.write_text("sepal_length,sepal_width,petal_length,petal_width\n5.1,x,1.4,0.2\n")
    result = tensorfleet("--url", live.url, "predict", model.id, "--file", str(rows))
    assert result.code == 1
    assert "sepal_width" in result.stderr and "Traceback" not in result.stderr
