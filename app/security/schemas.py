"""Scopes and the shapes of the key-management API."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tensorfleet.schemas.bson_safe import StoredBody


class Scope(StrEnum):
    """What a key may do. Hierarchical: admin includes train, train includes read."""

    read = "read"
    train = "train"
    admin = "admin"

    def includes(self, other: "Scope") -> bool:
        return SCOPE_RANK[self] >= SCOPE_RANK[other]


SCOPE_RANK = {Scope.read: 0, Scope.train: 1, Scope.admin: 2}

KeyName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.@-]*$")
]
KEY_ID_PATTERN = r"^k_[0-9a-f]{16}$"


class KeyCreate(StoredBody):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"name": "ci-pipeline", "scopes": ["train"]}]},
    )

    name: KeyName = Field(description="Who or what uses the key (letters, digits, ` _.@-`).")
    scopes: list[Scope] = Field(
        min_length=1, max_length=3, description="admin includes train, train includes read."
    )


class KeyRead(BaseModel):
    id: str = Field(description="Public id, for listing and revoking.")
    prefix: str = Field(description="The key's first characters, to recognise it.")
    name: str
    scopes: list[Scope]
    created_at: datetime
    created_by: str | None = None
    last_used_at: datetime | None = Field(
        default=None, description="Updated at most once a minute."
    )
    revoked_at: datetime | None = None


class KeyCreated(KeyRead):
    key: str = Field(description="The key itself. Shown once: only its hash is stored.")


class KeyList(BaseModel):
    items: list[KeyRead]
