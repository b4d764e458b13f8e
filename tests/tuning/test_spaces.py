"""Default spaces fit the service's own checks; grids and random search are reproducible."""

import pytest

from app.training.algorithms import ALGORITHMS
from app.training.bounds import DEFAULT_BOUNDS
from app.tuning.sampling import Plan, grid_order, propose
from app.tuning.spaces import check_space, default_space, grid_values

PAIRS = [(name, task) for name, algorithm in ALGORITHMS.items() for task in algorithm.tasks]


@pytest.mark.parametrize(("algorithm", "task"), PAIRS)
def test_each_default_space_passes_the_checks_a_request_gets(algorithm, task) -> None:
    check_space(algorithm, task, default_space(algorithm, task), DEFAULT_BOUNDS)


def plan(strategy: str, seed: int = 1, cap: int = 8) -> Plan:
    spaces = {
        "decision_tree": {
            "max_depth": {"type": "int", "low": 1, "high": 30, "log": True, "step": 1},
            "criterion": {"type": "categorical", "choices": ["gini", "entropy"]},
        },
        "svm": {"C": {"type": "float", "low": 0.01, "high": 100.0, "log": True}},
    }
    return Plan(list(spaces), spaces, strategy, seed, "maximize", cap)


def test_random_search_gives_trial_n_the_same_parameters_whenever_it_is_asked() -> None:
    asked = [propose(plan("random"), n, []) for n in range(6)]
    assert [propose(plan("random"), n, []) for n in reversed(range(6))] == asked[::-1]
    assert asked != [propose(plan("random", seed=2), n, []) for n in range(6)]
    assert [a for a, _ in asked[:2]] == ["decision_tree", "svm"]  # each algorithm once first


def test_a_grid_is_walked_in_a_seeded_order_taking_the_algorithms_in_turn() -> None:
    order = grid_order(plan("grid", cap=100))
    assert (
        len(order) == len(grid_values({"type": "int", "low": 1, "high": 30, "log": True})) * 2 + 5
    )
    assert [a for a, _ in order[:4]] == ["decision_tree", "svm"] * 2
    assert order == grid_order(plan("grid", cap=100))
    assert order != grid_order(plan("grid", seed=2, cap=100))
    assert propose(plan("grid", cap=100), len(order), []) is None


def test_log_grids_are_spaced_geometrically() -> None:
    assert grid_values({"type": "float", "low": 0.01, "high": 100.0, "log": True}) == [
        0.01,
        0.1,
        1.0,
        10.0,
        100.0,
    ]
