"""Path attribution for histogram gradient boosting (the `gradient_boosting` algorithm).

The same method as for trees (app/explanations/local.py), on each boosting tree's raw score:
every split a row passes moves the node value from parent to child, credited to the split's
column. scikit-learn keeps each node's value, but multiplies only the leaves by the learning
rate, so inner values are scaled here to match. Base (the baseline score plus each tree's
root value) plus the contributions is the model's raw score exactly: the prediction for a
regressor (squared error), the log-odds (binary) or the class's logit for a classifier.

A row's way down a tree follows scikit-learn's own rule (`_predict_one_from_raw_data` in
`_hist_gradient_boosting/_predictor.pyx`): a missing value goes where the split sends missing
values; a category goes left when in the split's left set, right when a category the model
knows, and is treated as missing otherwise; a number goes left when at most the threshold.
"""

from typing import Any

import numpy as np


def is_boosting(estimator: Any) -> bool:
    return hasattr(estimator, "_predictors") and hasattr(estimator, "_baseline_prediction")


def _in_bitsets(bitsets: np.ndarray, which: np.ndarray, codes: np.ndarray) -> np.ndarray:
    words = bitsets[which, codes // 32]
    return ((words >> (codes % 32).astype(words.dtype)) & 1).astype(bool)


def _goes_left(
    tree: Any, known: tuple[np.ndarray, np.ndarray], at: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """For rows at nodes `at` with values `x` of the nodes' features: left or not."""
    nodes = tree.nodes[at]
    missing_left = nodes["missing_go_to_left"].astype(bool)
    left = np.where(np.isnan(x), missing_left, x <= nodes["num_threshold"])
    categorical = nodes["is_categorical"].astype(bool) & ~np.isnan(x)
    if categorical.any():
        codes = np.where(categorical, x, 0).astype(np.int64).clip(min=0) % 256  # as uint8
        in_left = _in_bitsets(tree.raw_left_cat_bitsets, nodes["bitset_idx"], codes)
        bitsets, feature_map = known
        known_here = _in_bitsets(bitsets, feature_map[nodes["feature_idx"]], codes)
        category = np.where(in_left, True, np.where(known_here, False, missing_left))
        category = np.where(x < 0, missing_left, category)
        left = np.where(categorical, category, left)
    return left


def _steps(tree: Any, Z: np.ndarray, rate: float, known: Any) -> tuple[np.ndarray, ...]:
    """(row, column, value change) per split the rows pass, and the root's value."""
    nodes = tree.nodes
    value = nodes["value"] * np.where(nodes["is_leaf"], 1.0, rate)
    at = np.zeros(len(Z), dtype=np.int64)
    rows, columns, changes = [], [], []
    active = np.flatnonzero(~nodes["is_leaf"][at].astype(bool))
    while active.size:
        here = at[active]
        feature = nodes["feature_idx"][here].astype(np.int64)
        left = _goes_left(tree, known, here, Z[active, feature])
        there = np.where(left, nodes["left"][here], nodes["right"][here]).astype(np.int64)
        rows.append(active)
        columns.append(feature)
        changes.append(value[there] - value[here])
        at[active] = there
        active = active[~nodes["is_leaf"][there].astype(bool)]
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), value[0]
    return np.concatenate(rows), np.concatenate(columns), np.concatenate(changes), value[0]


def internal(estimator: Any, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows as the trees see them, and which column of Z each of their columns is. With
    categorical features the estimator reorders (and encodes) its input first (its private
    `_preprocessor`, a ColumnTransformer: the categories, then the numbers)."""
    preprocessor = getattr(estimator, "_preprocessor", None)
    if preprocessor is None:
        return Z, np.arange(Z.shape[1])
    order: list[int] = []
    for _, transformer, selected in preprocessor.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        picked = np.asarray(selected)
        order += list(np.flatnonzero(picked) if picked.dtype == bool else picked)
    return np.asarray(preprocessor.transform(Z), dtype=np.float64), np.array(order)


def boosting_contributions(estimator: Any, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Base (scores) and contributions (rows, columns of Z, scores)."""
    Z, order = internal(estimator, Z)
    rate = float(estimator.learning_rate)
    known = estimator._bin_mapper.make_known_categories_bitsets()
    base = np.array(estimator._baseline_prediction, dtype=np.float64).reshape(-1).copy()
    n, width = Z.shape
    contributions = np.zeros((n, width, len(base)))
    for iteration in estimator._predictors:
        for output, tree in enumerate(iteration):
            rows, columns, changes, root = _steps(tree, Z, rate, known)
            base[output] += root
            cells = np.bincount(rows * width + order[columns], changes, n * width)
            contributions[:, :, output] += cells.reshape(n, width)
    return base, contributions
