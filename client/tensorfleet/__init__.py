"""TensorFleet's Python client and `tensorfleet` CLI, with the API's request and response schemas.

Three parts, none of which imports the server (`app`, `workers`) or its drivers:
- `tensorfleet.schemas`: the API's wire shapes (pydantic only); the server imports them too, so
  client and server cannot disagree about a field;
- `tensorfleet.client`: the blocking and asyncio clients (httpx);
- `tensorfleet.cli`: the `tensorfleet` command (typer, rich).
"""
