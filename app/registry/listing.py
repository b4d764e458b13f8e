"""How a model list query is built: filters, sort, index hint and the query after a cursor
(the cursor token itself is app/registry/cursors.py).

Every (filter, sort) pair the API accepts maps to one compound index,
`[<filter field>,] <sort field>, _id` (app/storage.py). The query names that index as its hint,
so a listing never scans the collection; with `after`, the index is entered at the cursor's
key, so a deep page costs the same as the first.
"""

from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING

from app.storage import MODEL_LIST_FILTERS, model_list_index_name, model_list_keys
from tensorfleet.schemas.registry import ModelSort, SortOrder

SORT_FIELDS: dict[ModelSort, str] = {
    ModelSort.created_at: "created_at",
    ModelSort.version: "version",
    ModelSort.test_accuracy: "metrics.test_accuracy",
}
# Filter fields in the order we prefer them as the index prefix (most selective first).
FILTER_FIELDS = tuple(MODEL_LIST_FILTERS)


@dataclass(frozen=True, slots=True)
class ModelFilter:
    name: str | None = None
    algorithm: str | None = None
    dataset_name: str | None = None

    def query(self) -> dict[str, Any]:
        return {field: value for field in FILTER_FIELDS if (value := getattr(self, field))}

    def prefix(self) -> str | None:
        """The filter field the index starts with, if any."""
        return next((field for field in FILTER_FIELDS if getattr(self, field)), None)


def index_name(model_filter: ModelFilter, sort: ModelSort) -> str:
    """The name of the index (in app/storage.py) that serves this filter and sort."""
    return model_list_index_name(model_filter.prefix(), SORT_FIELDS[sort])


def index_keys(model_filter: ModelFilter, sort: ModelSort) -> list[tuple[str, int]]:
    """The key pattern that index has."""
    return model_list_keys(model_filter.prefix(), SORT_FIELDS[sort])


def sort_spec(sort: ModelSort, order: SortOrder) -> list[tuple[str, int]]:
    direction = DESCENDING if order is SortOrder.desc else ASCENDING
    return [(SORT_FIELDS[sort], direction), ("_id", direction)]


def sort_value(document: dict[str, Any], sort: ModelSort) -> Any:
    value: Any = document
    for part in SORT_FIELDS[sort].split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def after_query(sort: ModelSort, order: SortOrder, value: Any, model_id: ObjectId) -> dict:
    """Documents strictly after (value, model_id) in this ordering."""
    field = SORT_FIELDS[sort]
    beyond = "$lt" if order is SortOrder.desc else "$gt"
    same_key_later_id = {field: value, "_id": {beyond: model_id}}
    if value is None:
        # null sorts lowest: descending, only later nulls remain; ascending, every value too.
        if order is SortOrder.desc:
            return same_key_later_id
        return {"$or": [{field: {"$ne": None}}, same_key_later_id]}
    branches = [{field: {beyond: value}}, same_key_later_id]
    if order is SortOrder.desc:
        branches.append({field: None})  # below every value, and `$lt` does not reach it
    return {"$or": branches}
