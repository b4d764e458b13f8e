"""`python -m bench --mongodb-url URL` measures someone else's MongoDB: it starts no FerretDB,
says which server it measured, and drops the database it wrote."""

from pathlib import Path

from pymongo import MongoClient

from bench.stack import Stack as BenchStack
from tests.support import Stack


def test_an_external_store_is_used_named_and_left_as_found(stack: Stack, tmp_path: Path) -> None:
    with BenchStack(tmp_path, external_mongodb_url=stack.mongodb_url) as bench:
        assert [service.name for service in bench.services] == ["redis"]
        assert bench.mongodb_url == stack.mongodb_url
        assert bench.store_version().startswith("FerretDB v1.24")
        with MongoClient(bench.mongodb_url) as client:
            client[bench.database]["models"].insert_one({"name": "bench"})
            assert bench.database in client.list_database_names()
    with MongoClient(stack.mongodb_url) as client:
        assert bench.database not in client.list_database_names()
