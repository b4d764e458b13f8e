"""The train form is generated from GET /algorithms: every algorithm has a labelled control for
each of its hyperparameters, and its defaults (every field left blank, as a first-time user
submits it) start a job on a dataset of a task it supports, or name why not."""

import re
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from tests.samples import ADMIN
from tests.ui.forms import csrf_token


class Controls(HTMLParser):
    """The ids of the page's inputs and selects, and which id each label is for."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.labels: dict[str, str] = {}
        self._label_for: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("input", "select") and found.get("id"):
            self.ids.add(str(found["id"]))
        self._label_for = str(found.get("for")) if tag == "label" else self._label_for

    def handle_data(self, data: str) -> None:
        if self._label_for is not None:
            self.labels[self._label_for] = self.labels.get(self._label_for, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._label_for = None if tag == "label" else self._label_for


@pytest.fixture(scope="module")
async def algorithms(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/algorithms", headers=ADMIN)
    return list(response.json())


async def test_every_hyperparameter_has_a_labelled_control(
    admin: httpx.AsyncClient, algorithms: list[dict[str, Any]]
) -> None:
    controls = Controls()
    controls.feed((await admin.get("/ui/train")).text)
    assert len(algorithms) >= 6
    for algorithm in algorithms:
        for hyperparameter in algorithm["hyperparameters"]:
            key = f"hp.{algorithm['name']}.{hyperparameter['name']}"
            assert key in controls.ids, f"no control for {key}"
            assert controls.labels.get(key, "").strip() == hyperparameter["name"], key


async def test_each_algorithm_s_defaults_start_a_job_or_say_why_not(
    admin: httpx.AsyncClient, algorithms: list[dict[str, Any]]
) -> None:
    for algorithm in algorithms:
        name = algorithm["name"]
        blank = {f"hp.{name}.{h['name']}": "" for h in algorithm["hyperparameters"]}
        fields = {"dataset_name": "iris", "algorithm": name, "model_name": f"form-{name}"}
        token = csrf_token(await admin.get("/ui/train"))
        response = await admin.post("/ui/train", data={"csrf_token": token, **fields, **blank})
        if "classification" in algorithm["tasks"]:
            assert response.status_code == 303, (name, response.text[-2000:])
            assert response.headers["location"].startswith("/ui/jobs/")
        else:
            assert response.status_code == 422, name
            assert f"{name} does not support classification" in response.text


async def test_a_refused_yes_no_field_is_marked_and_points_at_its_message(
    admin: httpx.AsyncClient,
) -> None:
    """A boolean is a <select>: a value the API refuses marks it invalid and ties the message
    to it, as a text box is, so a screen reader reads why."""
    key = "hp.random_forest.bootstrap"
    fields = {"dataset_name": "iris", "algorithm": "random_forest", "model_name": "bad-bool"}
    token = csrf_token(await admin.get("/ui/train"))
    response = await admin.post("/ui/train", data={"csrf_token": token, **fields, key: "maybe"})
    assert response.status_code == 422
    select = re.search(rf'<select id="{re.escape(key)}"[^>]*>', response.text)
    assert select, response.text[-1500:]
    assert 'aria-invalid="true"' in select[0]
    assert f"err-{key}" in select[0]
    assert f'id="err-{key}"' in response.text
