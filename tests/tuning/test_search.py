"""A search as a user runs it: POST /tuning, trials on the queue, the best refitted and
registered; the same seed gives the same trials; a failing trial fails alone; cancel."""

import httpx
from arq import Worker
from bson import ObjectId

from app.resources import Resources
from tests.support import wait_for
from tests.tuning.support import params_by_number, read_tuning, search, submit, wait_for_tuning


async def test_a_search_completes_and_registers_its_best_configuration(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    tuning_id = await submit(client, search(strategy="tpe", model_name="iris-tuned"))
    tuning = await wait_for_tuning(client, tuning_id)

    assert tuning["status"] == "succeeded", tuning["error"]
    assert (tuning["metric"], tuning["direction"]) == ("accuracy", "maximize")
    assert [t["number"] for t in tuning["trials"]] == [0, 1, 2, 3]
    assert (tuning["trials_done"], tuning["trials_running"], tuning["trials_left"]) == (4, 0, 0)
    complete = [t for t in tuning["trials"] if t["state"] == "complete"]
    assert complete, tuning["trials"]
    for trial in complete:
        assert len(trial["fold_scores"]) == 3
        assert abs(trial["score"] - sum(trial["fold_scores"]) / 3) < 1e-9
        assert trial["duration_seconds"] >= trial["fit_seconds"] > 0
    best = max(complete, key=lambda t: (t["score"], -t["number"]))
    assert tuning["best"]["number"] == best["number"]
    assert tuning["cv_score"] == best["score"]
    scores = [row["score"] for row in tuning["leaderboard"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == len(complete)

    model = await resources.db["models"].find_one({"_id": ObjectId(tuning["model_id"])})
    assert model["tuning_job_id"] == tuning_id and model["name"] == "iris-tuned"
    assert model["algorithm"] == "decision_tree"
    assert {k: model["hyperparameters"][k] for k in best["params"]} == best["params"]
    assert tuning["holdout_score"] == model["metrics"]["test_accuracy"]
    assert tuning["metrics"]["test_accuracy"] == tuning["holdout_score"]
    read = (await client.get(f"/api/v1/models/{tuning['model_id']}")).json()
    assert read["tuning_job_id"] == tuning_id


async def test_the_same_seed_gives_the_same_trials(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    for strategy in ("random", "grid"):
        first = await submit(client, search(strategy=strategy, seed=11))
        second = await submit(client, search(strategy=strategy, seed=11))
        other = await submit(client, search(strategy=strategy, seed=12))
        runs = [await wait_for_tuning(client, t) for t in (first, second, other)]
        assert all(run["status"] == "succeeded" for run in runs), runs
        trials = [params_by_number(run) for run in runs]
        assert len(trials[0]) == 4
        assert trials[0] == trials[1], strategy
        assert trials[0] != trials[2], strategy


async def test_a_trial_scikit_learn_refuses_fails_alone(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    space = {
        "kernel": {"type": "categorical", "choices": ["rbf", "precomputed"]},
        "C": {"type": "categorical", "choices": [0.5, 2.0]},
    }
    body = search(algorithm="svm", space=space, strategy="grid")
    tuning = await wait_for_tuning(client, await submit(client, body))

    assert tuning["status"] == "succeeded", tuning["error"]
    states = {t["params"]["kernel"]: set() for t in tuning["trials"]}
    for trial in tuning["trials"]:
        states[trial["params"]["kernel"]].add(trial["state"])
    assert states == {"rbf": {"complete"}, "precomputed": {"failed"}}
    failed = [t for t in tuning["trials"] if t["state"] == "failed"]
    assert all("square" in t["error"] for t in failed), failed
    assert tuning["best"]["params"]["kernel"] == "rbf"


async def test_cancel_stops_the_search_and_its_trials(
    client: httpx.AsyncClient, worker: Worker, resources: Resources
) -> None:
    space = {"n_estimators": {"type": "int", "low": 400, "high": 800}}
    body = search(algorithm="random_forest", space=space, max_trials=30, cv=5)
    tuning_id = await submit(client, body)

    async def running() -> bool:
        tuning = await read_tuning(client, tuning_id)
        return any(t["state"] == "running" for t in tuning["trials"])

    await wait_for(running, 120)
    response = await client.post(f"/tuning/{tuning_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    tuning = await read_tuning(client, tuning_id)
    assert all(t["state"] in ("cancelled", "complete", "pruned") for t in tuning["trials"])
    assert any(t["state"] == "cancelled" for t in tuning["trials"])
    assert len(tuning["trials"]) < 30
    again = await client.post(f"/tuning/{tuning_id}/cancel")
    assert again.status_code == 409 and again.json()["status"] == "cancelled"
    assert await resources.db["models"].count_documents({"tuning_job_id": tuning_id}) == 0


async def test_automl_searches_every_algorithm_of_the_task(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    body = search(algorithm="auto", space=None, max_trials=5, cv=2)
    tuning = await wait_for_tuning(client, await submit(client, body), timeout=300)

    assert tuning["status"] == "succeeded", tuning["error"]
    expected = ["random_forest", "logistic_regression", "svm", "decision_tree", "gradient_boosting"]
    assert tuning["algorithms"] == expected
    assert sorted(t["algorithm"] for t in tuning["trials"]) == sorted(expected)
    assert {row["algorithm"] for row in tuning["leaderboard"]} <= set(expected)
    assert tuning["best"]["algorithm"] == tuning["leaderboard"][0]["algorithm"]


async def test_searches_are_listed_newest_first(client: httpx.AsyncClient, worker: Worker) -> None:
    first = await submit(client, search(max_trials=1))
    second = await submit(client, search(max_trials=1))
    listed = (await client.get("/tuning", params={"limit": 1})).json()
    assert listed["total"] >= 2 and listed["pages"] >= 2
    assert listed["items"][0]["tuning_id"] == second
    page2 = (await client.get("/tuning", params={"limit": 1, "page": 2})).json()
    assert page2["items"][0]["tuning_id"] == first
    for tuning_id in (first, second):
        await wait_for_tuning(client, tuning_id)


async def test_algorithms_show_their_default_search_space(client: httpx.AsyncClient) -> None:
    algorithms = {a["name"]: a for a in (await client.get("/algorithms")).json()}
    forest = algorithms["random_forest"]
    assert forest["search_space"]["n_estimators"]["type"] == "int"
    assert forest["by_task"]["regression"]["search_space"]
    assert "hyperparameters" in forest and "estimator" in forest  # unchanged beside it


async def test_a_time_budget_stops_the_search_and_its_unfinished_trials(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    space = {"n_estimators": {"type": "int", "low": 400, "high": 800}}
    body = search(algorithm="random_forest", space=space, max_trials=None, max_seconds=2, cv=5)
    tuning = await wait_for_tuning(client, await submit(client, body))

    assert tuning["status"] in ("succeeded", "failed"), tuning
    assert tuning["trials_left"] is None and tuning["trials_running"] == 0
    stopped = [t for t in tuning["trials"] if t["state"] == "cancelled"]
    assert stopped and all("time budget" in t["error"] for t in stopped), tuning["trials"]
    if tuning["status"] == "failed":  # nothing finished within 2 s on a busy machine
        assert tuning["error"]["type"] == "NoTrialCompleted"
