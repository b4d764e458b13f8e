"""The predict page: one row from the form or many from a CSV, answered by the inference
service; rows that do not fit show the service's message naming the row and column."""

import httpx
import pytest

from tests.samples import MakeModel
from tests.ui.forms import csrf_token, sign_in

SETOSA = ["5.1", "3.5", "1.4", "0.2"]
VIRGINICA = ["6.7", "3.0", "5.2", "2.3"]


@pytest.fixture
async def reader(browser: httpx.AsyncClient, scoped_keys: dict[str, str]) -> httpx.AsyncClient:
    await sign_in(browser, scoped_keys["read"])
    return browser


async def test_one_row_from_the_form(reader: httpx.AsyncClient, make_model: MakeModel) -> None:
    model = await make_model(name="predict-form")
    page = await reader.get(f"/ui/models/{model['_id']}/predict")
    assert all(f'name="col.{feature}"' in page.text for feature in model["features"])
    fields = {f"col.{f}": v for f, v in zip(model["features"], SETOSA, strict=True)}
    response = await reader.post(
        f"/ui/models/{model['_id']}/predict", data={"csrf_token": csrf_token(page), **fields}
    )
    assert response.status_code == 200
    assert "<td><b>0</b></td>" in response.text  # iris target 0 is setosa
    assert "P(0)" in response.text and "1.0000" in response.text


async def test_many_rows_from_a_csv_file(reader: httpx.AsyncClient, make_model: MakeModel) -> None:
    model = await make_model(name="predict-file")
    page = await reader.get(f"/ui/models/{model['_id']}/predict")
    table = ",".join(model["features"]) + "\n" + ",".join(SETOSA) + "\n" + ",".join(VIRGINICA)
    response = await reader.post(
        f"/ui/models/{model['_id']}/predict",
        data={"csrf_token": csrf_token(page)},
        files={"file": ("rows.csv", table.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert response.text.count("<td><b>") == 2
    assert "<td><b>0</b></td>" in response.text and "<td><b>2</b></td>" in response.text


async def test_a_value_that_does_not_fit_is_named(
    reader: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="predict-bad")
    page = await reader.get(f"/ui/models/{model['_id']}/predict")
    first = model["features"][0]
    fields = {f"col.{f}": v for f, v in zip(model["features"], SETOSA, strict=True)}
    fields[f"col.{first}"] = "tall"
    response = await reader.post(
        f"/ui/models/{model['_id']}/predict", data={"csrf_token": csrf_token(page), **fields}
    )
    assert response.status_code == 422
    assert f"0 / {first}: expected a number, got str" in response.text
    assert 'value="tall"' in response.text  # the form keeps what was typed
