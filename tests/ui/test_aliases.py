"""A model's page lists the aliases of its name; deleting an aliased version from the UI is
refused with a page naming the aliases, unless the confirmation form says to remove them."""

import httpx

from tests.samples import ADMIN, MakeModel
from tests.ui.forms import csrf_token


async def test_the_model_page_lists_the_names_aliases(
    client: httpx.AsyncClient, reader: httpx.AsyncClient, make_model: MakeModel
) -> None:
    one, two = await make_model(name="ui-aliased"), await make_model(name="ui-aliased")
    for alias, model in (("production", one), ("staging", two)):
        path = f"/api/v1/models/by-name/ui-aliased/aliases/{alias}"
        response = await client.put(path, json={"version": model["version"]}, headers=ADMIN)
        assert response.status_code == 200, response.text
    page = (await reader.get(f"/ui/models/{two['_id']}")).text
    assert "Aliases of ui-aliased" in page
    assert "<code>production</code>" in page and f'href="/ui/models/{one["_id"]}">v1<' in page
    assert '<code>staging</code> <span class="muted">(this version)</span>' in page


async def test_a_version_without_aliases_says_how_to_set_one(
    reader: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="ui-plain")
    page = (await reader.get(f"/ui/models/{model['_id']}")).text
    assert "No aliases." in page


async def test_deleting_an_aliased_version_in_the_ui_is_refused(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="ui-kept")
    path = "/api/v1/models/by-name/ui-kept/aliases/live"
    await client.put(path, json={"version": model["version"]}, headers=ADMIN)
    confirm = await admin.get(f"/ui/models/{model['_id']}/delete")
    response = await admin.post(
        f"/ui/models/{model['_id']}/delete", data={"csrf_token": csrf_token(confirm)}
    )
    assert response.status_code == 409
    assert "aliases live point at it" in response.text
    assert (await client.get(f"/api/v1/models/{model['_id']}", headers=ADMIN)).status_code == 200


async def test_the_ui_deletes_an_aliased_version_when_told_to_remove_its_aliases(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="ui-gone")
    path = "/api/v1/models/by-name/ui-gone/aliases/live"
    await client.put(path, json={"version": model["version"]}, headers=ADMIN)
    confirm = await admin.get(f"/ui/models/{model['_id']}/delete")
    assert "Remove these aliases with it" in confirm.text and "<code>live</code>" in confirm.text
    form = {"csrf_token": csrf_token(confirm), "remove_aliases": "yes"}
    response = await admin.post(f"/ui/models/{model['_id']}/delete", data=form)
    assert response.status_code == 303
    assert (await client.get(f"/api/v1/models/{model['_id']}", headers=ADMIN)).status_code == 404
    assert (await client.get(path, headers=ADMIN)).status_code == 404


async def test_the_model_page_lists_the_endpoints_routing_its_name(
    client: httpx.AsyncClient, reader: httpx.AsyncClient, make_model: MakeModel
) -> None:
    one, two = await make_model(name="ui-routed"), await make_model(name="ui-routed")
    routes = [{"version": one["version"], "weight": 3}, {"version": two["version"], "weight": 1}]
    body = {"model": "ui-routed", "routes": routes, "shadow": {"version": two["version"]}}
    assert (await client.put("/api/v1/endpoints/ui-ab", json=body, headers=ADMIN)).is_success
    page = (await reader.get(f"/ui/models/{one['_id']}")).text
    assert "<code>ui-ab</code>" in page
    assert f"v{one['version']} 75.0%, v{two['version']} 25.0%" in page
