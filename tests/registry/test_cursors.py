"""The `after` cursor decoder, by property: any token the API did not issue is InvalidCursor
(never another error, never a value of the wrong type), and every token it issues decodes to
exactly the position it names."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.registry.cursors import CursorCodec, load_cursor_codec
from app.registry.exceptions import InvalidCursor
from app.resources import open_resources
from tensorfleet.schemas.registry import ModelSort, SortOrder
from tests.support import SettingsFactory

CODEC = CursorCodec(b"k" * 32)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

sorts = st.sampled_from(list(ModelSort))
orders = st.sampled_from(list(SortOrder))
object_ids = st.binary(min_size=12, max_size=12).map(ObjectId)
# What MongoDB stores: milliseconds, timezone-aware (the client is tz_aware).
created = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
versions = st.integers(min_value=1, max_value=2**62)
accuracies = st.floats(min_value=0, max_value=1, allow_nan=False) | st.none()


def document(sort: ModelSort, value: object, model_id: ObjectId) -> dict:
    if sort is ModelSort.test_accuracy:
        return {"_id": model_id, "metrics": {"test_accuracy": value}}
    return {"_id": model_id, sort.value: value}


@st.composite
def positions(draw: st.DrawFn) -> tuple[ModelSort, object, ObjectId]:
    sort = draw(sorts)
    values = {ModelSort.created_at: created, ModelSort.version: versions}
    value = draw(values.get(sort, accuracies))
    return sort, value, draw(object_ids)


@PROPERTY
@given(position=positions(), order=orders)
def test_every_issued_cursor_decodes_to_its_position(position: tuple, order: SortOrder) -> None:
    sort, value, model_id = position
    token = CODEC.encode(document(sort, value, model_id), sort, order)
    assert CODEC.decode(token, sort, order) == (value, model_id)


@PROPERTY
@given(
    token=st.text(max_size=300) | st.from_regex(r"\A[A-Za-z0-9_-]{0,200}\.[A-Za-z0-9_-]{0,40}\Z")
)
def test_any_other_text_is_invalid_cursor(token: str) -> None:
    for sort in ModelSort:
        with pytest.raises(InvalidCursor):
            CODEC.decode(token, sort, SortOrder.desc)


@PROPERTY
@given(position=positions(), order=orders, data=st.data())
def test_any_change_to_an_issued_cursor_is_refused(
    position: tuple, order: SortOrder, data: st.DataObject
) -> None:
    sort, value, model_id = position
    token = CODEC.encode(document(sort, value, model_id), sort, order)
    index = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != token[index]))
    forged = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(InvalidCursor):
        CODEC.decode(forged, sort, order)


def signed(payload: bytes, codec: CursorCodec = CODEC) -> str:
    """A token carrying this payload with a valid signature: as if the secret leaked."""
    return f"{b64(payload)}.{b64(codec._sign(payload))}"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ID = "0123456789abcdef01234567"
HOSTILE_VALUES = [
    {"$numberLong": "99999999999999999999"},
    {"$date": {"$numberLong": "999999999999999999"}},
    {"$minKey": 1},
    {"$maxKey": 1},
    {"$code": "sleep(1000)"},
    {"$numberDecimal": "1e6144"},
    {"$regex": ".*", "$options": ""},
    {"$binary": {"base64": "AA==", "subType": "00"}},
    {"$gt": ""},
    [1, 2],
    "2024-01-01T00:00:00Z",
    1.5,
    -1,
    2**63,
    True,
]
BEYOND_YEAR_9999 = 253402300800000


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
@pytest.mark.parametrize("sort", [ModelSort.created_at, ModelSort.version])
def test_even_a_signed_payload_decodes_only_into_its_sorts_type(
    sort: ModelSort, value: object
) -> None:
    payload = json.dumps({"s": sort.value, "o": "desc", "v": value, "i": ID}).encode()
    with pytest.raises(InvalidCursor):
        CODEC.decode(signed(payload), sort, SortOrder.desc)


def test_a_date_beyond_what_datetime_holds_is_refused() -> None:
    payload = json.dumps({"s": "created_at", "o": "desc", "v": BEYOND_YEAR_9999, "i": ID})
    with pytest.raises(InvalidCursor):
        CODEC.decode(signed(payload.encode()), ModelSort.created_at, SortOrder.desc)


@pytest.mark.parametrize(
    "state",
    [
        {"s": "test_accuracy", "o": "desc", "v": 2.0, "i": ID},
        {"s": "test_accuracy", "o": "desc", "v": "NaN", "i": ID},
        {"s": "created_at", "o": "desc", "v": 0, "i": {"$oid": ID}},
        {"s": "created_at", "o": "desc", "v": 0, "i": ID, "x": 1},
        {"s": "created_at", "o": "sideways", "v": 0, "i": ID},
        {"s": "created_at", "o": "desc", "v": 0},
    ],
)
def test_malformed_signed_states_are_refused(state: dict) -> None:
    with pytest.raises(InvalidCursor):
        CODEC.decode(signed(json.dumps(state).encode()), ModelSort(state["s"]), SortOrder.desc)


def test_a_cursor_for_another_sort_names_the_one_it_was_issued_for() -> None:
    token = CODEC.encode({"_id": ObjectId(ID), "version": 3}, ModelSort.version, SortOrder.asc)
    with pytest.raises(InvalidCursor, match="sort=version&order=asc"):
        CODEC.decode(token, ModelSort.version, SortOrder.desc)


def test_created_at_decodes_to_the_stored_datetime() -> None:
    when = datetime(2026, 11, 28, 4, 30, 1, 123000, tzinfo=UTC)
    token = CODEC.encode(
        {"_id": ObjectId(ID), "created_at": when}, ModelSort.created_at, SortOrder.desc
    )
    value, _ = CODEC.decode(token, ModelSort.created_at, SortOrder.desc)
    assert value == when and value - when == timedelta(0)


async def test_replicas_on_one_database_share_the_secret_and_others_do_not(
    settings_factory: SettingsFactory,
) -> None:
    one, other = settings_factory(), settings_factory()
    opened = [await open_resources(s) for s in (one, one, other)]
    try:
        first, second, foreign = [await load_cursor_codec(r.db) for r in opened]
    finally:
        for resources in opened:
            await resources.close()
    token = first.encode({"_id": ObjectId(ID), "version": 7}, ModelSort.version, SortOrder.desc)
    assert second.decode(token, ModelSort.version, SortOrder.desc) == (7, ObjectId(ID))
    with pytest.raises(InvalidCursor):
        foreign.decode(token, ModelSort.version, SortOrder.desc)
