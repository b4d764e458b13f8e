"""GridFS and the index behaviour we rely on, proven on the real server (FerretDB in CI)."""

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from bson import Int64, ObjectId
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.config import Settings


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase]:
    mongo = AsyncMongoClient(str(settings.mongodb_url))
    yield mongo[settings.mongodb_db]
    await mongo.close()


async def test_upload_ranged_download_and_delete(db: AsyncDatabase) -> None:
    bucket = AsyncGridFSBucket(db)
    payload = os.urandom(700_000)  # several 255 KiB chunks
    async with bucket.open_upload_stream("model.joblib", metadata={"kind": "test"}) as upload:
        for start in range(0, len(payload), 100_000):
            await upload.write(payload[start : start + 100_000])
        file_id = upload._id

    download = await bucket.open_download_stream(file_id)
    assert download.length == len(payload)
    await download.seek(300_000)
    assert await download.read(50_000) == payload[300_000:350_000]

    whole = await bucket.open_download_stream(file_id)
    chunks = []
    while chunk := await whole.readchunk():
        chunks.append(chunk)
    assert b"".join(chunks) == payload

    await bucket.delete(file_id)
    assert await db["fs.files"].count_documents({"_id": file_id}) == 0
    assert await db["fs.chunks"].count_documents({"files_id": file_id}) == 0


async def test_unique_compound_index_rejects_a_repeat(db: AsyncDatabase) -> None:
    await db["versions"].create_indexes([IndexModel([("name", 1), ("version", 1)], unique=True)])
    await db["versions"].insert_one({"name": "m", "version": 1})
    with pytest.raises(DuplicateKeyError) as caught:
        await db["versions"].insert_one({"name": "m", "version": 1})
    assert caught.value.code == 11000


async def test_a_lookup_by_id_uses_the_id_index(db: AsyncDatabase) -> None:
    """Every job and model read, update and delete is by `_id`: on stock FerretDB v1.24 each one
    scans its collection (SQLite `SCAN`); scripts/ferretdb-patches/0001 makes it a `SEARCH`
    through the `_id_` index. This fails on a binary built without the patch."""
    info = await db.client.admin.command("buildInfo")
    if "ferretdbVersion" not in info:
        pytest.skip("not FerretDB: MongoDB serves `_id` lookups from its index")
    await db["lookups"].insert_many([{"_id": f"doc-{n}", "n": n} for n in range(50)])
    explained = await db.command("explain", {"find": "lookups", "filter": {"_id": "doc-7"}})
    plan = " ".join(explained["queryPlanner"]["Plan"])
    assert "USING INDEX" in plan and "SCAN" not in plan, plan
    assert (await db["lookups"].find_one({"_id": "doc-7"}))["n"] == 7


async def test_reading_a_gridfs_file_uses_the_chunks_index(db: AsyncDatabase) -> None:
    """A model's cold load and a dataset's read fetch `{files_id: {$eq: id}}` from the chunks;
    stock FerretDB v1.24 reads and decodes every chunk of the bucket for that, so one file cost
    as much as all of them. scripts/ferretdb-patches/0002 filters in SQLite through the
    `files_id_1_n_1` index. This fails on a binary built without the patch."""
    info = await db.client.admin.command("buildInfo")
    if "ferretdbVersion" not in info:
        pytest.skip("not FerretDB: MongoDB serves the chunk query from its index")
    bucket = AsyncGridFSBucket(db, bucket_name="indexed")
    file_ids = [await bucket.upload_from_stream(f"f{n}", os.urandom(300_000)) for n in range(3)]
    query = {
        "find": "indexed.chunks",
        "filter": {"files_id": {"$eq": file_ids[1]}},
        "sort": {"n": 1},
    }
    explained = await db.command("explain", query)
    plan = " ".join(explained["queryPlanner"]["Plan"])
    assert explained["filterPushdown"] and "SEARCH" in plan and "files_id_1_n_1" in plan, plan
    assert "SCAN" not in plan, plan
    download = await bucket.open_download_stream(file_ids[1])
    assert download.length == 300_000 and len(await download.read()) == 300_000


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"f": "a"}, ["array", "scalar"]),  # an array containing the value matches too
        ({"f": {"$eq": "a"}}, ["array", "scalar"]),
        ({"f": "a", "g": "x"}, ["scalar"]),
        ({"f": 'q"<'}, ["escaped"]),  # JSON-escaped: left to the handler, still found
        ({"f": "é ü"}, ["unicode"]),
        ({"f": ["b", "a"]}, ["array"]),
        ({"f": {"$in": ["a", "zz"]}}, ["array", "scalar"]),
        ({"f.k": "a"}, ["embedded"]),
        ({"f": {"k": "a"}}, ["embedded"]),
        ({"g": "x", "_id": "scalar"}, ["scalar"]),
        ({"f": "missing"}, []),
    ],
)
async def test_equality_filters_match_as_mongodb_does(
    db: AsyncDatabase, query: dict, expected: list[str]
) -> None:
    """The pushed-down equality (patch 0002) selects a superset the server filters again: what a
    query matches is MongoDB's answer, arrays and escaped strings included."""
    equalities = db["equalities"]
    if await equalities.count_documents({}) == 0:
        await equalities.create_index([("f", 1)])
        await equalities.insert_many(
            [
                {"_id": "scalar", "f": "a", "g": "x"},
                {"_id": "array", "f": ["b", "a"], "g": "y"},
                {"_id": "escaped", "f": 'q"<'},
                {"_id": "unicode", "f": "é ü"},
                {"_id": "embedded", "f": {"k": "a"}},
                {"_id": "other", "f": "b"},
            ]
        )
    found = sorted([doc["_id"] async for doc in equalities.find(query)])
    assert found == expected
    assert await equalities.count_documents(query) == len(expected)


async def test_a_count_answers_as_mongodb_does(db: AsyncDatabase) -> None:
    """A count with no query reads record IDs only (patch 0006): the whole collection, with skip
    and limit, beside a count with a query and one of a collection that does not exist."""
    counted = db["counted"]
    await counted.insert_many([{"i": i, "even": i % 2 == 0} for i in range(25)])
    assert await counted.estimated_document_count() == 25
    assert (await db.command("count", "counted"))["n"] == 25
    assert (await db.command("count", "counted", skip=20))["n"] == 5
    assert (await db.command("count", "counted", skip=3, limit=4))["n"] == 4
    assert (await db.command("count", "counted", query={"even": True}))["n"] == 13
    assert (await db.command("count", "never-created"))["n"] == 0
    await counted.delete_many({"i": {"$lt": 10}})
    assert await counted.estimated_document_count() == 15


async def test_documents_read_back_exactly_as_written(db: AsyncDatabase) -> None:
    """Every BSON type we store, with the strings and numbers a JSON decoder can get wrong,
    reads back equal and of the same type (FerretDB stores documents as JSON; patches 0003 and
    0005 change how it decodes them). Not infinities, NaN or -0.0:
    FerretDB v1.24 refuses the first two and reads -0.0 back as 0.0, patched or not."""
    strings = ['q"<>&\\/', "tab\tnew\nline\r", "\x00\x01\x1f", "é ü ß 中文 😀", "\u2028\u2029", ""]
    document = {
        "_id": ObjectId(),
        "strings": strings,
        "ints": [0, -1, 2**31 - 1, -(2**31)],
        "longs": [Int64(2**53 + 1), Int64(-(2**63)), Int64(2**63 - 1)],
        "doubles": [0.1, -1.5, 1e308, 5e-324, 1.0, 123456789.123456789, -2.5e-10],
        "flags": [True, False, None],
        "when": datetime(2026, 11, 28, 12, 34, 56, 789000, tzinfo=UTC),
        "blob": bytes(range(256)),
        "nested": {"a": {"b": [{"x": [1, "x"]}, {"c": [2.5, None]}]}, "empty": {}, "none": []},
        "key with spaces and é": 1,
    }
    await db["roundtrip"].insert_one(document)
    read = await db["roundtrip"].find_one({"_id": document["_id"]})
    assert read is not None
    when = read.pop("when")
    assert when.replace(tzinfo=UTC) == document.pop("when")
    assert read == document
    assert [type(v) for v in read["longs"]] == [Int64] * 3  # int64 stays int64
    assert [type(v) for v in read["ints"]] == [int] * 4  # and int32 int32
    assert all(isinstance(v, float) for v in read["doubles"])


async def test_fields_named_like_sqlite_columns_are_found(db: AsyncDatabase) -> None:
    """FerretDB quotes a field as an SQL identifier in `_ferretdb_sjson->"field"`, and SQLite
    takes `oid`, `rowid` and `_rowid_` (any case) for the row's id: patch 0002 leaves equalities
    on such fields to the server's own filter, so they match as on MongoDB."""
    oid = ObjectId()
    names = db["sqlite_names"]
    await names.insert_many(
        [
            {"_id": "hit", "oid": oid, "rowid": "r", "OID": "o", "_rowid_": "x"},
            {"_id": "miss", "oid": ObjectId(), "rowid": "s", "OID": "p", "_rowid_": "y"},
        ]
    )
    for query in ({"oid": oid}, {"rowid": "r"}, {"OID": {"$eq": "o"}}, {"_rowid_": "x"}):
        assert [doc["_id"] async for doc in names.find(query)] == ["hit"], query
