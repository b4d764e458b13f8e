"""Signing in, the cookies' flags, CSRF refusals and what each scope may do, over plain HTTP."""

import re

import httpx
import pytest

from app.ui import datasets, jobs, models, pages, predict, session, train, tuning
from tests.samples import ADMIN, MakeModel
from tests.ui.forms import create_key, csrf_token, sign_in


async def test_pages_send_a_signed_out_browser_to_sign_in(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/ui/models")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sign-in?next=/ui/models"


async def test_the_service_root_leads_to_the_ui(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/ui"


async def test_a_good_key_becomes_an_httponly_samesite_session_cookie(
    browser: httpx.AsyncClient, scoped_keys: dict[str, str]
) -> None:
    response = await sign_in(browser, scoped_keys["read"])
    assert response.status_code == 303
    cookie = next(v for k, v in response.headers.multi_items() if "tf_session=" in v)
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/ui" in flags
    assert "secure" not in flags  # plain HTTP: a Secure cookie would never come back
    assert (await browser.get("/ui")).status_code == 200


async def test_behind_tls_the_cookies_are_secure(app, scoped_keys: dict[str, str]) -> None:
    transport = httpx.ASGITransport(app=app.state.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
        response = await sign_in(tls, scoped_keys["read"])
    session = next(v for k, v in response.headers.multi_items() if "tf_session=" in v)
    assert "secure" in session.lower()


async def test_behind_a_tls_proxy_the_cookies_are_secure(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/ui/sign-in", headers={"X-Forwarded-Proto": "https"})
    csrf = next(v for k, v in page.headers.multi_items() if "tf_csrf=" in v).lower()
    assert "secure" in csrf and "httponly" in csrf and "samesite=strict" in csrf


async def test_a_bad_key_is_refused_with_a_message(browser: httpx.AsyncClient) -> None:
    response = await sign_in(browser, "tf_" + "x" * 43)
    assert response.status_code == 401
    assert "not valid" in response.text
    assert "tf_session" not in response.headers.get("set-cookie", "")


async def test_a_form_without_its_csrf_token_is_refused(
    browser: httpx.AsyncClient, scoped_keys: dict[str, str]
) -> None:
    await browser.get("/ui/sign-in")  # has the CSRF cookie, but sends no field
    response = await browser.post("/ui/sign-in", data={"api_key": scoped_keys["admin"]})
    assert response.status_code == 403
    assert "CSRF" in response.text
    forged = await browser.post(
        "/ui/sign-in", data={"api_key": scoped_keys["admin"], "csrf_token": "x" * 43}
    )
    assert forged.status_code == 403
    assert "tf_session" not in forged.headers.get("set-cookie", "")


async def test_a_revoked_key_signs_its_session_out(
    browser: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    key = await create_key(client, "read", "soon-revoked")
    await sign_in(browser, key["key"])
    assert (await browser.get("/ui/jobs")).status_code == 200
    await client.delete(f"/api/v1/keys/{key['id']}", headers=ADMIN)
    assert (await browser.get("/ui/jobs")).status_code == 303


async def test_sign_out_forgets_the_session(
    browser: httpx.AsyncClient, scoped_keys: dict[str, str]
) -> None:
    await sign_in(browser, scoped_keys["read"])
    page = await browser.get("/ui")
    response = await browser.post("/ui/sign-out", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert (await browser.get("/ui")).status_code == 303


async def test_pages_cannot_be_framed_or_load_other_sites_code(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get("/ui/sign-in")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert page.headers["x-frame-options"] == "DENY"


async def test_a_planted_csrf_cookie_does_not_let_another_site_post(
    app, browser: httpx.AsyncClient, scoped_keys: dict[str, str], make_model: MakeModel
) -> None:
    """Session fixation of the CSRF token: whoever can set a cookie for this host (a sibling
    subdomain, plain HTTP on the path) plants a token they know. The form's token is derived
    from the cookie and the session it serves, so knowing the cookie is not enough."""
    planted = "p" * 43
    transport = httpx.ASGITransport(app=app.state.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as attacker:
        attacker.cookies.set("tf_csrf", planted, domain="testserver.local", path="/ui")
        attackers_form = csrf_token(await attacker.get("/ui/sign-in"))  # its own page's token
    await sign_in(browser, scoped_keys["admin"])
    model = await make_model(name="fixated")
    browser.cookies.set("tf_csrf", planted, domain="testserver.local", path="/ui")  # replaced
    for forged in (planted, attackers_form):
        response = await browser.post(
            f"/ui/models/{model['_id']}/delete", data={"csrf_token": forged}
        )
        assert response.status_code == 403, response.text[:200]
    page = await browser.get(f"/ui/models/{model['_id']}/delete")
    assert page.status_code == 200  # the model is still there, and the page's own token works
    deleted = await browser.post(
        f"/ui/models/{model['_id']}/delete", data={"csrf_token": csrf_token(page)}
    )
    assert deleted.status_code == 303, deleted.text[:200]


def ui_post_paths() -> list[str]:
    """Every POST the UI has, its path parameters filled in with names that exist nowhere."""
    modules = (session, pages, jobs, train, models, predict, datasets, tuning)
    paths = [
        r.path for m in modules for r in m.router.routes if "POST" in getattr(r, "methods", ())
    ]
    return [re.sub(r"\{(\w+)\}", lambda p: "1" if p[1] == "version" else "x", p) for p in paths]


@pytest.mark.parametrize("path", ui_post_paths())
async def test_every_ui_form_refuses_a_post_without_its_csrf_token(
    admin: httpx.AsyncClient, path: str
) -> None:
    """Signed in as admin, so only the token is missing: each POST is a 403 that names CSRF."""
    params = {"name": "csrf-probe"} if path.endswith("/upload") else None
    response = await admin.post(path, params=params, data={"api_key": "x", "model_name": "x"})
    assert response.status_code == 403, (path, response.text[-500:])
    assert "CSRF" in response.text
