"""A store written by stock FerretDB v1.24.2 (as every build before patches 0003-0006 wrote it)
opens with the build `make` installs, and the other way round.

Patches 0003 and 0005 change the JSON code FerretDB stores documents with (goccy/go-json for
encoding/json), so the bytes it writes may differ; the values must not. Both binaries run in
turn on one SQLite directory: documents and a GridFS file written by one are read by the other.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gridfs
import pytest
from bson import Int64, ObjectId
from pymongo import MongoClient
from pymongo.database import Database

from devstack.services import FERRETDB, build_stock_ferretdb, ferretdb_service, free_port

PAYLOAD = bytes(range(256)) * 2_000  # two GridFS chunks and a bit


def document(label: str) -> dict[str, Any]:
    return {
        "_id": label,
        "strings": ['q"<>&\\/', "tab\tnew\nline", "\x01\x1f", "é ü 中文 😀", "\u2028"],
        "numbers": [0, -(2**31), Int64(2**53 + 1), 0.1, 1e308, -2.5e-10],
        "flags": [True, False, None],
        "when": datetime(2026, 11, 28, 12, 34, 56, 789000, tzinfo=UTC),
        "blob": bytes(range(256)),
        "oid": ObjectId("6566a1b2c3d4e5f601234567"),
        "nested": {"a": {"b": [{"x": [1, "x"]}]}, "empty": {}},
    }


@contextmanager
def served(binary: Path, data_dir: Path) -> Iterator[Database]:
    service = ferretdb_service(free_port(), data_dir, binary=binary).start()
    client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{service.port}/", tz_aware=True)
    try:
        yield client["upgrade"]
    finally:
        client.close()
        service.stop()


def write(db: Database, label: str) -> ObjectId:
    db["things"].insert_one(document(label))
    return gridfs.GridFSBucket(db).upload_from_stream(f"{label}.bin", PAYLOAD)


def check(db: Database, label: str, file_id: ObjectId) -> None:
    assert db["things"].find_one({"_id": label}) == document(label)
    assert db["things"].find_one({"oid": document(label)["oid"], "_id": label}) is not None
    assert gridfs.GridFSBucket(db).open_download_stream(file_id).read() == PAYLOAD


@pytest.fixture(scope="module")
def stock() -> Path:
    return build_stock_ferretdb()


def test_a_store_written_by_stock_ferretdb_reads_back_with_the_patched_build(
    stock: Path, tmp_path: Path
) -> None:
    with served(stock, tmp_path) as db:
        old = write(db, "old")
    with served(FERRETDB, tmp_path) as db:
        check(db, "old", old)
        new = write(db, "new")
    with served(stock, tmp_path) as db:  # and back: a downgrade reads what the patched wrote
        check(db, "new", new)
        check(db, "old", old)
