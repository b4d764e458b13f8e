"""API key management (admin scope): create, list, revoke."""

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.dependencies import DatabaseDep, SettingsDep
from app.security import keys
from app.security.deps import AdminAccess
from app.security.schemas import KEY_ID_PATTERN, KeyCreate, KeyCreated, KeyList

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
KeyId = Annotated[str, Path(pattern=KEY_ID_PATTERN, description="The key's public id.")]


@router.post(
    "",
    response_model=KeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key (shown once)",
)
async def create_key(request: KeyCreate, db: DatabaseDep, caller: AdminAccess) -> KeyCreated:
    created = await keys.create_key(db, request=request, created_by=caller.key_id)
    logger.info(
        "API key %s (%s, scopes %s) created by %s",
        created.id,
        created.name,
        ",".join(created.scopes),
        caller.label,
    )
    return created


@router.get("", response_model=KeyList, summary="API keys (never the keys themselves)")
async def list_keys(
    db: DatabaseDep,
    caller: AdminAccess,
    include_revoked: Annotated[bool, Query(description="Also list revoked keys.")] = False,
) -> KeyList:
    return KeyList(items=await keys.list_keys(db, include_revoked=include_revoked))


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    summary="Revoke an API key",
    responses={
        404: {"description": "No key with this id."},
        409: {"description": "The last active admin key, and no BOOTSTRAP_ADMIN_KEY is set."},
    },
)
async def revoke_key(
    key_id: KeyId, db: DatabaseDep, settings: SettingsDep, caller: AdminAccess
) -> None:
    keep_an_admin = settings.bootstrap_admin_key is None
    await keys.revoke_key(db, key_id=key_id, keep_an_admin=keep_an_admin)
    logger.info("API key %s revoked by %s", key_id, caller.label)
