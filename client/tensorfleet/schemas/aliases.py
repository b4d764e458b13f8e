"""Aliases of a model name (`production`, `staging`, ...), each pointing at one version.

Document layouts in MongoDB:

    model_aliases:        _id "<name>/<alias>", name, alias, version (null: removed),
                          model_id (ObjectId), revision (+1 per write), updated_at,
                          updated_by (the key id; null with auth off)
    model_alias_history:  name, alias, from_version (null: created), to_version (null:
                          removed), model_id (of to_version, as a string), revision,
                          by, changed_at
"""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from tensorfleet.schemas.bson_safe import StoredBody

# A letter first, so an alias never reads as a version number; no `/`, `.` or `$`, so it is
# safe in an id, a key and a path.
ALIAS_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
ALIAS_MAX_LENGTH = 64
AliasName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ALIAS_MAX_LENGTH, pattern=ALIAS_PATTERN),
]


class AliasSet(StoredBody):
    """Point an alias at a version (creating or moving it)."""

    version: int = Field(ge=1, le=2**62, description="The version the alias will name.")
    warm: bool = Field(
        default=True,
        description="Load the version into this API process's model cache before the move "
        "becomes visible, so the first predictions through the alias do not wait for a load.",
    )


class AliasRead(BaseModel):
    name: str
    alias: str
    version: int
    model_id: str
    updated_at: datetime
    updated_by: str | None = Field(default=None, description="Key id; null with auth off.")

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "AliasRead":
        return cls.model_validate(document | {"model_id": str(document["model_id"])})


class AliasList(BaseModel):
    name: str
    items: list[AliasRead]


class AliasChange(BaseModel):
    """One change of an alias: created (from_version null), moved, or removed (to_version
    null)."""

    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    model_id: str | None = Field(
        default=None, description="The model id of `to_version` (null when removed)."
    )
    revision: int = Field(
        ge=1,
        description="Rises with every write to this alias: orders its changes exactly, also "
        "when several callers move it at once.",
    )
    by: str | None = Field(default=None, description="Key id; null with auth off.")
    changed_at: datetime


class AliasHistory(BaseModel):
    """Changes, newest first."""

    name: str
    items: list[AliasChange]
