"""The OpenAPI document tells which errors the security layer adds to each protected route."""

from typing import Any

from fastapi import FastAPI

from app.security.body import TOO_LARGE

SECURITY_RESPONSES: dict[str, dict[str, Any]] = {
    "401": {"description": "No API key, or not a valid one (when AUTH_ENABLED)."},
    "403": {"description": "The API key lacks the scope this route needs."},
    "429": {"description": "Rate limit exceeded; see the Retry-After header."},
}
BODY_RESPONSE = {str(TOO_LARGE): {"description": "Request body larger than MAX_BODY_BYTES."}}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array"}]}},
}


def describe_security(app: FastAPI) -> None:
    """Add 401/403/429 to every operation with a security requirement, 413 to those with a
    body, once, when the schema is first built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                extra = SECURITY_RESPONSES if operation.get("security") else {}
                if "requestBody" in operation:
                    extra = extra | BODY_RESPONSE
                for code, response in extra.items():
                    content = {"application/json": {"schema": ERROR_SCHEMA}}
                    operation["responses"].setdefault(code, response | {"content": content})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
