"""What each scope may do in the UI, enforced on the server and not only hidden: a read key's
forms are refused with a 403 and change nothing. Also the train form's inline 422 messages,
downloads and the comparison, over plain HTTP."""

import hashlib

import httpx
import pytest

from tests.samples import ADMIN, MakeModel
from tests.ui.forms import csrf_token


async def post_form(browser: httpx.AsyncClient, page: str, action: str, **fields: str):
    token = csrf_token(await browser.get(page))
    return await browser.post(action, data={"csrf_token": token, **fields})


async def test_a_read_key_cannot_delete_even_by_posting_the_form(
    reader: httpx.AsyncClient, make_model: MakeModel, client: httpx.AsyncClient
) -> None:
    model_id = str((await make_model())["_id"])
    page = await reader.get(f"/ui/models/{model_id}")
    assert page.status_code == 200 and "Delete" not in page.text
    response = await post_form(reader, "/ui/models", f"/ui/models/{model_id}/delete")
    assert response.status_code == 403
    assert "admin" in response.text
    assert (await client.get(f"/api/v1/models/{model_id}", headers=ADMIN)).status_code == 200


async def test_a_read_key_cannot_train_or_cancel(
    reader: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    fields = {"dataset_name": "iris", "algorithm": "svm", "model_name": "not-allowed"}
    response = await post_form(reader, "/ui/train", "/ui/train", **fields)
    assert response.status_code == 403
    jobs = await client.get("/jobs", headers=ADMIN)
    assert all(j["request"]["model_name"] != "not-allowed" for j in jobs.json()["items"])
    cancel = await post_form(reader, "/ui/jobs", "/ui/jobs/some-job/cancel")
    assert cancel.status_code == 403


async def test_an_admin_deletes_after_confirming(
    admin: httpx.AsyncClient, make_model: MakeModel, client: httpx.AsyncClient
) -> None:
    model_id = str((await make_model())["_id"])
    confirm = await admin.get(f"/ui/models/{model_id}/delete")
    assert "Delete permanently" in confirm.text
    response = await admin.post(
        f"/ui/models/{model_id}/delete", data={"csrf_token": csrf_token(confirm)}
    )
    assert response.status_code == 303
    assert (await client.get(f"/api/v1/models/{model_id}", headers=ADMIN)).status_code == 404


async def test_a_delete_without_the_csrf_token_changes_nothing(
    admin: httpx.AsyncClient, make_model: MakeModel, client: httpx.AsyncClient
) -> None:
    model_id = str((await make_model())["_id"])
    response = await admin.post(f"/ui/models/{model_id}/delete", data={})
    assert response.status_code == 403
    assert (await client.get(f"/api/v1/models/{model_id}", headers=ADMIN)).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"dataset_name": "no-such-data"}, "dataset_name", "unknown dataset 'no-such-data'"),
        ({"test_size": "2"}, "test_size", "less than 1"),
        ({"model_name": "bad name!"}, "model_name", "should match pattern"),
        ({"hp.svm.C": "-1"}, "hp.svm.C", "The 'C' parameter of SVC must be"),
        ({"hp.svm.kernel": "cubic"}, "hp.svm.kernel", "'kernel' parameter of SVC must be"),
    ],
)
async def test_the_train_form_shows_the_api_s_message_beside_the_field(
    admin: httpx.AsyncClient, fields: dict[str, str], field: str, message: str
) -> None:
    base = {"dataset_name": "iris", "algorithm": "svm", "model_name": "form-check"}
    response = await post_form(admin, "/ui/train", "/ui/train", **(base | fields))
    assert response.status_code == 422
    assert f'id="err-{field}">' in response.text
    shown = response.text.split(f'id="err-{field}">', 1)[1].split("</p>", 1)[0]
    assert message in shown.replace("&#39;", "'")


async def test_the_ui_download_is_the_stored_file(
    reader: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model()
    response = await reader.get(f"/ui/models/{model['_id']}/download")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == model["sha256"]


async def test_compare_shows_each_model_and_marks_the_best(
    reader: httpx.AsyncClient, make_model: MakeModel
) -> None:
    low = await make_model(name="cmp", test_accuracy=0.5)
    high = await make_model(name="cmp", test_accuracy=0.75)
    response = await reader.get(f"/ui/models/compare?id={low['_id']}&id={high['_id']}")
    assert response.status_code == 200
    assert 'class="num best">0.7500' in response.text
    assert 'class="num">0.5000' in response.text
    alone = await reader.get(f"/ui/models/compare?id={low['_id']}")
    assert alone.status_code == 422
