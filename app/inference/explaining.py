"""`explain: true` on the predict path: which method explains a model (built once per loaded
model and kept with it in the cache), and the per-request bound on rows.

A request that cannot be explained is refused before anything runs, with a 422 naming the
`explain` field: more rows than EXPLAIN_MAX_ROWS, or a model no method covers (the message
says why: an SVM, or a linear model stored before explanations).
"""

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from app.explanations.insights import read_insights
from app.explanations.local import Explainer, NotExplainable, explain_rows, explainer_for
from app.inference.cache import LoadedModel
from app.inference.exceptions import InvalidPredictionInput

__all__ = ["explain_rows", "explainer_of"]


def refused(message: str) -> InvalidPredictionInput:
    return InvalidPredictionInput(
        [{"type": "value_error", "loc": ["body", "explain"], "msg": message}]
    )


async def _build(db: AsyncDatabase, model: LoadedModel) -> Explainer | NotExplainable:
    insights = await read_insights(db, ObjectId(model.model_id))
    try:
        return explainer_for(model.estimator, model.input.names, insights.get("linear_baseline"))
    except NotExplainable as exc:
        return exc


async def explainer_of(
    db: AsyncDatabase, model: LoadedModel, rows: int, max_rows: int
) -> Explainer:
    """The model's explainer, for a request of `rows` rows; a 422 when it cannot be had."""
    if rows > max_rows:
        raise refused(f"{rows} rows; at most {max_rows} rows per request can be explained")
    if model.explainer is None:
        model.explainer = await _build(db, model)
    found: Any = model.explainer
    if isinstance(found, NotExplainable):
        raise refused(f"this model cannot explain its predictions: {found}")
    return found
