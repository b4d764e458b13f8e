"""The datasets pages over plain HTTP: upload through the UI's streamed route, watch the
ingest end on the live fragment, read the profile, chart and preview, and what each scope may
do (a read key's upload and delete are refused on the server, not only hidden)."""

import asyncio

import httpx
from arq import Worker

from tests.datasets.support import csv_bytes
from tests.samples import ADMIN
from tests.tables import customers
from tests.ui.forms import csrf_token, sign_in


async def ui_upload(
    browser: httpx.AsyncClient,
    name: str,
    body: bytes,
    token: str | None = None,
    target: str = "churned",
):
    """As the page's script does: the raw file, the CSRF token in a header."""
    token = token or csrf_token(await browser.get("/ui/train"))
    params = {"name": name, "target": target}
    headers = {"X-CSRF-Token": token, "X-Requested-With": "fetch"}
    return await browser.post("/ui/datasets/upload", params=params, content=body, headers=headers)


async def wait_until_ingested(browser: httpx.AsyncClient, name: str, version: int) -> str:
    async with asyncio.timeout(60):
        while True:
            live = await browser.get(f"/ui/datasets/{name}/versions/{version}/live")
            assert live.status_code == 200, live.text
            if "data-final" in live.text:
                return live.text
            await asyncio.sleep(0.05)


async def test_upload_ingest_profile_chart_and_preview(
    admin: httpx.AsyncClient, worker: Worker
) -> None:
    response = await ui_upload(admin, "ui-customers", csv_bytes(customers()))
    assert response.status_code == 200, response.text
    assert response.json() == {"location": "/ui/datasets/ui-customers?version=1"}
    live = await wait_until_ingested(admin, "ui-customers", 1)
    assert 'id="dataset-status">ready<' in live
    page = await admin.get("/ui/datasets/ui-customers")
    assert "<svg" in page.text and "Target classes" in page.text
    assert "identifier-like" in page.text  # customer_id is flagged as excluded
    assert 'href="/ui/train?dataset_name=ui-customers"' in page.text
    assert "C100000" in page.text  # the preview's first row
    listing = await admin.get("/ui/datasets")
    assert 'href="/ui/datasets/ui-customers"' in listing.text and "classification" in listing.text
    train = await admin.get("/ui/train?dataset_name=ui-customers")
    assert '<option value="ui-customers" selected>' in train.text


async def test_an_empty_target_uploads_unlabeled_rows_not_offered_for_training(
    admin: httpx.AsyncClient, worker: Worker
) -> None:
    rows = csv_bytes(customers(50).drop(columns=["churned"]))
    response = await ui_upload(admin, "ui-to-score", rows, target="")  # the form's empty field
    assert response.status_code == 200, response.text
    live = await wait_until_ingested(admin, "ui-to-score", 1)
    assert 'id="dataset-status">ready<' in live and "unlabeled rows" in live
    assert "/ui/train?dataset_name=ui-to-score" not in live


async def test_a_stale_token_or_a_read_key_cannot_upload(
    reader: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    forged = await ui_upload(reader, "ui-forged", b"a,churned\n1,yes\n", token="x" * 43)
    assert forged.status_code == 403 and "CSRF" in forged.text
    refused = await ui_upload(reader, "ui-refused", b"a,churned\n1,yes\n")
    assert refused.status_code == 403
    assert (await client.get("/datasets/ui-refused", headers=ADMIN)).status_code == 404
    listing = await reader.get("/ui/datasets")
    assert listing.status_code == 200 and "upload-form" not in listing.text


async def test_only_an_admin_deletes_a_version_after_confirming(
    browser: httpx.AsyncClient, scoped_keys: dict[str, str], client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/datasets",
        params={"name": "ui-doomed", "target": "y"},
        content=b"x,y\n1,a\n2,b\n",
        headers=ADMIN,
    )
    assert response.status_code == 202, response.text
    await sign_in(browser, scoped_keys["read"])
    page = await browser.get("/ui/datasets/ui-doomed")
    assert "/versions/1/delete" not in page.text
    token = csrf_token(await browser.get("/ui/datasets/ui-doomed/versions/1/delete"))
    refused = await browser.post(
        "/ui/datasets/ui-doomed/versions/1/delete", data={"csrf_token": token}
    )
    assert refused.status_code == 403
    await sign_in(browser, scoped_keys["admin"])
    assert "/versions/1/delete" in (await browser.get("/ui/datasets/ui-doomed")).text
    confirm = await browser.get("/ui/datasets/ui-doomed/versions/1/delete")
    deleted = await browser.post(
        "/ui/datasets/ui-doomed/versions/1/delete", data={"csrf_token": csrf_token(confirm)}
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/ui/datasets?deleted=1"
    assert (await client.get("/datasets/ui-doomed", headers=ADMIN)).status_code == 404
