"""The `after` cursor of model listings: an opaque token the API signs, so that any token it did
not issue is refused (422) before anything of it reaches a query.

A token is `<payload>.<signature>`, both unpadded base64url. The payload is compact JSON:
`{"s": sort, "o": order, "v": sort value, "i": model id (24 hex digits)}`, with the sort value
typed by its sort: `created_at` as integer milliseconds since 1970 (what BSON dates hold),
`version` as an integer, `test_accuracy` as a finite number; any of them may be null. The
signature is the first 16 bytes of HMAC-SHA256 over the payload bytes, keyed with a 32-byte
secret.

The secret is made once per database (random, `secrets.token_bytes`) and kept in the
`server_secrets` collection, so every API replica on the same database signs and accepts the
same tokens, and tokens survive restarts and rollouts with no setting to share. Deleting that
document and restarting the API rotates it: tokens issued before stop being accepted (422), and
clients start again from the first page. Even a validly signed payload is decoded into exactly
its sort's type (defence in depth): no value in a token becomes an operator or an odd BSON type.
"""

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.registry.exceptions import InvalidCursor
from app.registry.listing import sort_value
from app.storage import SERVER_SECRETS
from tensorfleet.schemas.registry import ModelSort, SortOrder

SECRET_ID = "cursor_hmac"
SIGNATURE_BYTES = 16
MAX_TOKEN_LENGTH = 1024
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOT_OURS = "`after` is not a cursor this API issued; use `next_cursor` from a previous page"

Millis = Annotated[StrictInt, Field(ge=0, le=253402300799999)]  # 1970 .. 9999-12-31
Version = Annotated[StrictInt, Field(ge=1, le=2**62)]
Accuracy = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
VALUE_TYPES: dict[ModelSort, TypeAdapter[Any]] = {
    ModelSort.created_at: TypeAdapter(Millis | None),
    ModelSort.version: TypeAdapter(Version | None),
    ModelSort.test_accuracy: TypeAdapter(Accuracy | None),
}


class CursorState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    s: ModelSort
    o: SortOrder
    v: Any
    i: Annotated[str, Field(pattern=r"^[0-9a-f]{24}$")]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    """Strict: only the one spelling _b64encode gives (base64 decoders ignore stray bits in the
    last character, and a token we did not issue must not pass by spelling ours differently)."""
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(raw) != text:
        raise ValueError("not canonical unpadded base64url")
    return raw


def _typed_value(value: Any, sort: ModelSort) -> Any:
    """The sort value as the type a query compares it with (datetimes from milliseconds)."""
    if sort is ModelSort.created_at and value is not None:
        return EPOCH + timedelta(milliseconds=value)
    return value


def _plain_value(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (aware - EPOCH) // timedelta(milliseconds=1)
    return value


class CursorCodec:
    """Signs and checks cursors with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]

    def encode(self, document: dict[str, Any], sort: ModelSort, order: SortOrder) -> str:
        """A token naming the position just after this document in this ordering."""
        value = _plain_value(sort_value(document, sort))
        state = {"s": sort.value, "o": order.value, "v": value, "i": str(document["_id"])}
        payload = json.dumps(state, separators=(",", ":"), allow_nan=False).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def decode(self, token: str, sort: ModelSort, order: SortOrder) -> tuple[Any, ObjectId]:
        """The (sort value, id) a token names; InvalidCursor for any token not issued here, or
        issued for another sort or order."""
        state = self._verified_state(token)
        if (state.s, state.o) != (sort, order):
            raise InvalidCursor(
                f"`after` was issued for sort={state.s.value}&order={state.o.value}; "
                "repeat those parameters with it"
            )
        try:
            value = VALUE_TYPES[sort].validate_python(state.v)
        except ValidationError:
            raise InvalidCursor(NOT_OURS) from None
        return _typed_value(value, sort), ObjectId(state.i)

    def _verified_state(self, token: str) -> CursorState:
        try:
            if len(token) > MAX_TOKEN_LENGTH:
                raise ValueError("too long")
            encoded_payload, encoded_signature = token.split(".")
            payload, signature = _b64decode(encoded_payload), _b64decode(encoded_signature)
            if not hmac.compare_digest(signature, self._sign(payload)):
                raise ValueError("bad signature")
            return CursorState.model_validate_json(payload)
        except (ValueError, binascii.Error, ValidationError):
            raise InvalidCursor(NOT_OURS) from None


async def load_cursor_codec(db: AsyncDatabase) -> CursorCodec:
    """The codec keyed with this database's cursor secret, made on first use. Replicas starting
    together race to insert it; the loser reads the winner's."""
    stored = await db[SERVER_SECRETS].find_one({"_id": SECRET_ID})
    if stored is None:
        with contextlib.suppress(DuplicateKeyError):
            await db[SERVER_SECRETS].insert_one({"_id": SECRET_ID, "key": secrets.token_bytes(32)})
        stored = await db[SERVER_SECRETS].find_one({"_id": SECRET_ID})
    if stored is None:
        raise RuntimeError("the cursor secret could not be stored")
    return CursorCodec(bytes(stored["key"]))
