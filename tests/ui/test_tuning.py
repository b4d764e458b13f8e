"""The tuning pages: the list, a search's trials plotted and tabled, and cancelling it."""

import httpx
from arq import Worker

from app.ui.charts import trial_chart
from tests.samples import ADMIN
from tests.tuning.support import search, wait_for_tuning
from tests.ui.forms import csrf_token


def test_the_trial_chart_draws_each_trial_and_the_best_so_far() -> None:
    chart = str(trial_chart([(0, 0.5, True), (1, 0.9, True), (2, 0.4, False)], title="t"))
    assert chart.count("<circle") == 3 and chart.count('class="dot hollow"') == 1
    points = chart.split('points="')[1].split('"')[0].split()
    assert len(points) == 4  # 0.5 at 0, 0.5 then 0.9 at 1, 0.9 at 2
    assert trial_chart([], title="t") == ""


async def test_a_reader_sees_the_search_with_its_trials_plotted(
    client: httpx.AsyncClient, worker: Worker, reader: httpx.AsyncClient
) -> None:
    submitted = await client.post("/tuning", json=search(max_trials=3), headers=ADMIN)
    tuning_id = submitted.json()["tuning_id"]
    client.headers.update(ADMIN)
    tuning = await wait_for_tuning(client, tuning_id)
    assert tuning["status"] == "succeeded"

    listing = await reader.get("/ui/tuning")
    assert listing.status_code == 200 and f"/ui/tuning/{tuning_id}" in listing.text
    page = await reader.get(f"/ui/tuning/{tuning_id}")
    assert page.status_code == 200
    plotted = [t for t in tuning["trials"] if t["state"] in ("complete", "pruned")]
    chart = page.text.split('<svg class="chart"')[1]
    assert chart.count("<circle") == len(plotted)
    assert page.text.count('<td><span class="status s-') == 3  # one row per trial
    assert f"/ui/models/{tuning['model_id']}" in page.text
    assert "Cancel search" not in page.text  # ended (and a reader cannot)


async def test_a_train_key_cancels_a_running_search_from_its_page(
    client: httpx.AsyncClient, worker: Worker, admin: httpx.AsyncClient
) -> None:
    space = {"n_estimators": {"type": "int", "low": 400, "high": 800}}
    body = search(algorithm="random_forest", space=space, max_trials=30)
    tuning_id = (await client.post("/tuning", json=body, headers=ADMIN)).json()["tuning_id"]
    page = await admin.get(f"/ui/tuning/{tuning_id}")
    assert "Cancel search" in page.text
    form = {"csrf_token": csrf_token(page)}
    response = await admin.post(f"/ui/tuning/{tuning_id}/cancel", data=form)
    assert response.status_code == 303
    tuning = (await client.get(f"/tuning/{tuning_id}", headers=ADMIN)).json()
    assert tuning["status"] == "cancelled"
