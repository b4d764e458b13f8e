"""GET /datasets and /algorithms describe what can be trained."""

import httpx

from app.datasets.samples import load_samples
from app.resources import Resources


async def test_datasets_have_the_seed_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/datasets")
    assert response.status_code == 200
    by_name = {d["name"]: d for d in response.json()}
    assert set(by_name) == {"iris", "wine"}
    iris = by_name["iris"]
    assert (iris["n_samples"], iris["n_features"]) == (150, 4)
    assert iris["features"][0] == "sepal_length" and iris["target_column"] == "target"
    assert iris["classes"] == ["setosa", "versicolor", "virginica"]
    assert (by_name["wine"]["n_samples"], by_name["wine"]["n_features"]) == (178, 13)
    one = (await client.get("/datasets/wine")).json()
    assert {k: v for k, v in one.items() if k != "versions"} == by_name["wine"]
    assert [(v["version"], v["status"]) for v in one["versions"]] == [(1, "ready")]
    assert (await client.get("/datasets/mnist")).status_code == 404


async def test_loading_samples_again_adds_nothing(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    assert await load_samples(resources.db) == []
    assert await resources.db["datasets"].count_documents({}) == 2
    assert await resources.db["dataset_versions"].count_documents({}) == 2
    # each sample's CSV and its normalised copy
    assert await resources.db["datasets.files"].count_documents({}) == 4


async def test_algorithms_list_hyperparameters_from_scikit_learn(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/algorithms")
    assert response.status_code == 200
    algorithms = {a["name"]: a for a in response.json()}
    assert set(algorithms) == {
        "random_forest",
        "logistic_regression",
        "svm",
        "decision_tree",
        "ridge",
        "gradient_boosting",
    }
    assert algorithms["svm"]["estimator"] == "sklearn.svm.SVC"
    forest = {p["name"]: p for p in algorithms["random_forest"]["hyperparameters"]}
    assert forest["n_estimators"]["default"] == 100
    assert forest["n_estimators"]["type"] == "integer"
    assert forest["n_estimators"]["constraints"] == ["an int in the range [1, inf)"]


async def test_algorithms_say_which_tasks_they_support(client: httpx.AsyncClient) -> None:
    algorithms = {a["name"]: a for a in (await client.get("/algorithms")).json()}
    assert algorithms["logistic_regression"]["tasks"] == ["classification"]
    assert algorithms["ridge"]["tasks"] == ["regression"]
    assert algorithms["svm"]["tasks"] == ["classification", "regression"]
    svr = algorithms["svm"]["by_task"]["regression"]
    assert svr["estimator"] == "sklearn.svm.SVR"
    assert "epsilon" in {p["name"] for p in svr["hyperparameters"]}
    boosting = algorithms["gradient_boosting"]["by_task"]
    assert (
        boosting["classification"]["estimator"] == "sklearn.ensemble.HistGradientBoostingClassifier"
    )
    assert boosting["regression"]["estimator"] == "sklearn.ensemble.HistGradientBoostingRegressor"
