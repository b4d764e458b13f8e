"""Per-row contributions of each original column to a prediction (`explain: true`).

Two exact, additive methods, chosen per estimator (docs/inference.md says why these):

- trees (decision trees, random forests): path attribution (Saabas; what `treeinterpreter`
  computes and SHAP's TreeExplainer gives with `approximate=True`). Each split a row passes
  moves the node value (a class's share, or the mean target) from the parent's to the child's;
  the move is credited to the split's column. Base value (the root: the training mean) plus the
  contributions is the prediction exactly; a forest averages its trees. Cost: one
  `decision_path` per tree, vectorised over the rows.
- linear models (logistic regression, ridge): each column's coefficient times its distance from
  the mean training row, in the model's own (scaled, one-hot) space; what SHAP's
  LinearExplainer computes with independent features. Base value (the mean row's score) plus
  the contributions is the model's score exactly: the prediction for a regressor, the
  decision function (log-odds) of the explained class for a classifier.

Gradient boosting is explained the same way on its raw score (app/explanations/boosting.py).
Contributions on one-hot columns are summed onto their raw column. A classifier's row explains
the class predicted for it. Other estimators (SVMs) are refused with the reason.
"""

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from app.explanations.boosting import boosting_contributions, is_boosting
from app.explanations.columns import estimator_of, output_owners, per_input, preprocessed

Method = Literal["tree_path", "boosting_path", "linear"]


class NotExplainable(ValueError):
    """This model has no supported explanation method (the message says why)."""


@dataclass(frozen=True, slots=True)
class Explainer:
    method: Method
    names: list[str]
    owners: np.ndarray
    baseline: dict[str, Any] | None  # the linear rows stored at training


def _trees(estimator: Any) -> list[Any] | None:
    if hasattr(estimator, "tree_"):
        return [estimator]
    trees = getattr(estimator, "estimators_", None)
    if isinstance(trees, list) and trees and all(hasattr(t, "tree_") for t in trees):
        return trees
    return None


def explainer_for(model: Any, names: list[str], baseline: dict[str, Any] | None) -> Explainer:
    """How to explain this model; NotExplainable when it cannot be."""
    estimator, owners = estimator_of(model), output_owners(model)
    kind = type(estimator).__name__
    if owners is None:
        raise NotExplainable(f"the columns of this {kind} cannot be traced to the raw columns")
    if _trees(estimator) is not None:
        return Explainer("tree_path", names, owners, None)
    if is_boosting(estimator):
        return Explainer("boosting_path", names, owners, None)
    if getattr(estimator, "coef_", None) is not None:
        if baseline is None:
            raise NotExplainable(f"this {kind} was trained before explanations were stored")
        return Explainer("linear", names, owners, baseline)
    raise NotExplainable(
        f"explanations cover tree, boosting and linear models; this model is a {kind}"
    )


def _tree_steps(tree: Any, Z32: np.ndarray) -> tuple[np.ndarray, ...]:
    """One tree's (row, column, value change) per split the rows pass, and its root value.

    The tree's own `decision_path` on float32 rows (as its `predict` sees them), skipping the
    estimator's input validation: ten times faster for a one-row request."""
    structure = tree.tree_
    values = structure.value[:, 0, :]
    path = structure.decision_path(Z32)
    rows = np.repeat(np.arange(len(Z32)), np.diff(path.indptr))
    order = np.lexsort((path.indices, rows))
    rows, nodes = rows[order], path.indices[order]
    step = rows[1:] == rows[:-1]  # consecutive nodes of one row's path: parent, then child
    parent, child = nodes[:-1][step], nodes[1:][step]
    return rows[1:][step], structure.feature[parent], values[child] - values[parent], values[0]


def tree_contributions(estimator: Any, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Base (outputs) and contributions (rows, columns, outputs), averaged over the trees."""
    trees = _trees(estimator) or []
    Z32 = np.ascontiguousarray(Z, dtype=np.float32)
    steps = [_tree_steps(tree, Z32) for tree in trees]
    rows, columns = np.concatenate([s[0] for s in steps]), np.concatenate([s[1] for s in steps])
    changes = np.concatenate([s[2] for s in steps])
    cells, width = rows * Z.shape[1] + columns, len(Z) * Z.shape[1]
    contributions = np.stack(
        [np.bincount(cells, changes[:, k], width) for k in range(changes.shape[1])], axis=-1
    )
    base = np.mean([s[3] for s in steps], axis=0)
    return base, contributions.reshape(len(Z), Z.shape[1], -1) / len(trees)


def linear_contributions(
    explainer: Explainer, estimator: Any, Z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Base (score rows) and contributions (rows, raw columns, score rows) from the mean row."""
    rows = (explainer.baseline or {})["rows"]
    coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))
    offsets = np.array([row["offsets"] for row in rows], dtype=np.float64)
    base = np.array([row["intercept"] for row in rows]) + offsets.sum(axis=1)
    raw = per_input(Z[:, None, :] * coef[None, :, :], explainer.owners, len(explainer.names))
    return base, np.transpose(raw - offsets[None, :, :], (0, 2, 1))


def _output_of(label: str, classes: list[str], outputs: int) -> tuple[int, float]:
    """Which output explains a row predicted `label`, and its sign (a binary linear model has
    one score, the second class's log-odds; the first class's is its negative)."""
    if not classes:
        return 0, 1.0
    position = classes.index(label)
    if outputs == 1 and len(classes) == 2:
        return 0, 1.0 if position == 1 else -1.0
    return position, 1.0


def explain_rows(
    explainer: Explainer, model: Any, X: Any, predicted: list[Any]
) -> list[dict[str, Any]]:
    """Per row: the class explained (classifiers), the base value and each column's share."""
    estimator, Z = estimator_of(model), preprocessed(model, X)
    if explainer.method != "linear":
        found = tree_contributions if explainer.method == "tree_path" else boosting_contributions
        base, contributions = found(estimator, Z)
        contributions = per_input(
            np.transpose(contributions, (0, 2, 1)), explainer.owners, len(explainer.names)
        )
        contributions = np.transpose(contributions, (0, 2, 1))
    else:
        base, contributions = linear_contributions(explainer, estimator, Z)
    classes = [str(c) for c in getattr(estimator, "classes_", [])]
    answers = []
    for row, label in enumerate(predicted):
        output, sign = _output_of(str(label), classes, len(base))
        shares = sign * contributions[row, :, output]
        answers.append(
            {
                "explained": str(label) if classes else None,
                "base": float(sign * base[output]),
                "contributions": dict(zip(explainer.names, map(float, shares), strict=True)),
            }
        )
    return answers
