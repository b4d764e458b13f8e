"""Swagger UI works without internet access: its page and assets come from the service."""

import httpx


async def test_swagger_ui_is_served_without_a_cdn(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs")).text
    assert "cdn" not in page.lower()
    assert "/static-offline-docs/swagger-ui-bundle.js" in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = await client.get(f"/static-offline-docs/{asset}")
        assert response.status_code == 200 and len(response.content) > 10_000
