"""Downloading a model: the file, its headers, conditional requests and HEAD."""

import hashlib
import io

import httpx
import joblib
import pytest

from tests.samples import MakeModel


async def test_download_is_the_joblib_file_with_honest_headers(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model(name="iris-tree")
    response = await client.get(f"/api/v1/models/{model['_id']}/download")
    assert response.status_code == 200
    estimator = joblib.load(io.BytesIO(response.content))
    assert list(estimator.predict([[5.1, 3.5, 1.4, 0.2]])) == [0]
    digest = hashlib.sha256(response.content).hexdigest()
    assert response.headers["etag"] == f'"{digest}"' == f'"{model["sha256"]}"'
    assert response.headers["content-type"] == "application/octet-stream"
    assert int(response.headers["content-length"]) == len(response.content) == model["size"]
    assert response.headers["content-disposition"] == ('attachment; filename="iris-tree-v1.joblib"')


async def test_a_multi_chunk_file_arrives_whole(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    payload = bytes(range(256)) * 4000  # ~1 MB: four GridFS chunks
    model = await make_model(payload=payload)
    response = await client.get(f"/api/v1/models/{model['_id']}/download")
    assert response.content == payload


@pytest.mark.parametrize(
    ("name", "filename"),
    [('evil"; x=.."/../etc', "evil_x_.._.._etc-v1.joblib"), ("...", "model-v1.joblib")],
)
async def test_file_name_is_made_safe(
    client: httpx.AsyncClient, make_model: MakeModel, name: str, filename: str
) -> None:
    model = await make_model(name=name)
    response = await client.head(f"/api/v1/models/{model['_id']}/download")
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'


@pytest.mark.parametrize("header", ['"{sha}"', 'W/"{sha}"', '"other", "{sha}"', "*"])
async def test_if_none_match_with_our_etag_is_304_without_body(
    client: httpx.AsyncClient, make_model: MakeModel, header: str
) -> None:
    model = await make_model()
    response = await client.get(
        f"/api/v1/models/{model['_id']}/download",
        headers={"If-None-Match": header.format(sha=model["sha256"])},
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == f'"{model["sha256"]}"'


async def test_if_none_match_with_another_etag_downloads(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model()
    response = await client.get(
        f"/api/v1/models/{model['_id']}/download", headers={"If-None-Match": '"stale"'}
    )
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == model["sha256"]


async def test_head_gives_the_headers_and_no_body(
    client: httpx.AsyncClient, make_model: MakeModel
) -> None:
    model = await make_model()
    response = await client.head(f"/api/v1/models/{model['_id']}/download")
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == model["size"]
    assert response.headers["etag"] == f'"{model["sha256"]}"'


async def test_a_model_whose_file_is_gone_is_404(
    client: httpx.AsyncClient, make_model: MakeModel, bucket
) -> None:
    model = await make_model()
    await bucket.delete(model["file_id"])
    response = await client.get(f"/api/v1/models/{model['_id']}/download")
    assert response.status_code == 404
    assert "missing" in response.json()["detail"]
