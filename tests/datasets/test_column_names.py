"""Column names as real tables spell them: dots (R's `sepal.length`), a leading `$`, spaces,
brackets and non-ASCII letters. They are names of data, never MongoDB keys: a table with them
ingests, trains, predicts by name, explains and reports drift like any other."""

import httpx
import numpy as np
import pandas as pd
from arq import Worker

from app.datasets.preview import preview_rows
from tests.datasets.support import csv_bytes, ingested, train

NAMES = ["sepal.length", "$price", "Temp (°C)", "a.b.c", "größe"]


def awkward_table(rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({name: rng.normal(size=rows) for name in NAMES[:-1]})
    frame[NAMES[-1]] = rng.choice(["klein", "mittel", "groß"], size=rows)
    frame["label.class"] = np.where(frame["sepal.length"] + frame["$price"] > 0, "yes", "no")
    return frame


async def test_awkward_column_names_go_from_upload_to_predictions(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    frame = awkward_table()
    version = await ingested(client, "awkward", "label.class", csv_bytes(frame))
    assert version["status"] == "ready", version["error"]
    assert [c["name"] for c in version["columns"]] == NAMES
    preview = await client.get("/datasets/awkward/versions/1/preview", params={"rows": 2})
    assert preview.status_code == 200, preview.text
    first = preview.json()["rows"][0]
    assert list(first) == [*NAMES, "label.class"]
    assert first["sepal.length"] == frame["sepal.length"][0]
    job = await train(
        client, dataset_name="awkward", algorithm="random_forest", model_name="awkward"
    )
    assert job["status"] == "succeeded", job["error"]
    rows = frame[NAMES].head(3).to_dict(orient="records")
    body = {"instances": rows, "explain": True}
    response = await client.post(f"/api/v1/models/{job['model_id']}/predict", json=body)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 3
    drift = await client.get(f"/api/v1/models/{job['model_id']}/drift")
    assert drift.status_code == 200, drift.text


def test_a_preview_stored_by_the_previous_release_still_reads() -> None:
    """Versions ingested before stored their first rows as objects keyed by column name."""
    old = {"preview": [{"sepal_length": 5.1, "species": "setosa"}]}
    cells = [{"cells": [5.1, "setosa"]}]
    new = {"preview": {"columns": ["sepal_length", "species"], "rows": cells}}
    assert preview_rows(old) == preview_rows(new) == old["preview"]
