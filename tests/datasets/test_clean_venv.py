"""A downloaded model predicts raw rows where only scikit-learn, joblib and pandas are
installed, as a user loading a tabular model has them: no TensorFleet, no pyarrow.

The venv is made with uv (from `make setup`), at the versions the worker trained with; uv's
cache makes every run after the first one take seconds.
"""

import asyncio
import io
import subprocess
import sys
from pathlib import Path

import httpx
import joblib
import pandas as pd
import pytest
import sklearn
from arq import Worker

from tests.datasets.support import csv_bytes, ingested, train
from tests.tables import customers

PREDICT = """
import sys, joblib, pandas as pd
model = joblib.load(sys.argv[1])
rows = pd.read_csv(sys.argv[2])
print("\\n".join(str(p) for p in model.predict(rows)))
"""


@pytest.fixture(scope="module")
def clean_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = Path(__file__).resolve().parents[2] / ".tools" / "uv-venv" / "bin" / "uv"
    venv = tmp_path_factory.mktemp("clean") / "venv"
    subprocess.run([str(uv), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    pins = [f"scikit-learn=={sklearn.__version__}", f"joblib=={joblib.__version__}"]
    pins.append(f"pandas=={pd.__version__}")
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(python), *pins], check=True
    )
    return python


def raw_rows(path: Path) -> pd.DataFrame:
    """Rows as a user has them: every column, gaps, and categories the model never saw."""
    table = customers(rows=40, seed=7).copy()
    table.loc[0, "plan"] = "enterprise"
    table.loc[1, "city"] = "Reykjavik"
    path.write_text(table.to_csv(index=False))
    return pd.read_csv(path)


@pytest.mark.parametrize(("target", "algorithm"), [("churned", "svm"), ("spend", "ridge")])
async def test_a_downloaded_model_predicts_raw_rows_with_only_sklearn_joblib_pandas(
    client: httpx.AsyncClient,
    worker: Worker,
    clean_python: Path,
    tmp_path: Path,
    target: str,
    algorithm: str,
) -> None:
    await ingested(client, f"table-{target}", target, csv_bytes(customers()))
    job = await train(
        client, dataset_name=f"table-{target}", algorithm=algorithm, model_name=target
    )
    assert job["status"] == "succeeded", job["error"]
    download = await client.get(f"/api/v1/models/{job['model_id']}/download")
    (tmp_path / "model.joblib").write_bytes(download.content)
    rows = raw_rows(tmp_path / "rows.csv")
    expected = joblib.load(io.BytesIO(download.content)).predict(rows)
    probe = await asyncio.to_thread(
        subprocess.run, [str(clean_python), "-c", "import pyarrow"], capture_output=True
    )
    assert probe.returncode != 0  # nothing but what a user has
    result = await asyncio.to_thread(
        subprocess.run,
        [
            str(clean_python),
            "-c",
            PREDICT,
            str(tmp_path / "model.joblib"),
            str(tmp_path / "rows.csv"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [str(p) for p in expected]
