"""One predict call's work on the estimator: the labels, and the probabilities when asked for.

Asked for probabilities, a classifier would otherwise run its whole pipeline twice (`predict`,
then `predict_proba`: the forest's 100 trees twice). For the estimators whose scikit-learn
`predict` *is* `classes_.take(argmax(predict_proba(X)))` (the forest and the decision tree, one
output), the labels are taken from the probabilities instead, so the work is done once and the
labels are the ones `predict` gives. Only those: a logistic regression and histogram gradient
boosting decide from the raw score (`> 0`), which ties differently where the probability
rounds to 0.5, and an SVM's probabilities come from a separate fit; they still call both.
tests/inference/test_predict_path.py checks the equality for every classifier we train. Online
predictions, batch predictions and evaluations all predict through here.
"""

from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

LABELS_FROM_PROBA: tuple[type, ...] = (RandomForestClassifier, DecisionTreeClassifier)


def final_estimator(estimator: Any) -> Any:
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def labels_from_proba(estimator: Any) -> bool:
    """Whether this model's `predict` is the argmax of its `predict_proba` (exact types only:
    a subclass may predict otherwise)."""
    final = final_estimator(estimator)
    return type(final) in LABELS_FROM_PROBA and getattr(final, "n_outputs_", 1) == 1


def predict(estimator: Any, X: Any, probabilities: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The labels (or numbers), and the class probabilities when asked for and available."""
    if not probabilities or not hasattr(estimator, "predict_proba"):
        return estimator.predict(X), None
    proba = estimator.predict_proba(X)
    if labels_from_proba(estimator):
        return estimator.classes_.take(np.argmax(proba, axis=1), axis=0), proba
    return estimator.predict(X), proba
