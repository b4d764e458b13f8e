"""Endpoint fixtures: the registry's store clients and model factory (models published by the
real publish path)."""

from tests.registry.conftest import bucket, db, make_model

__all__ = ["bucket", "db", "make_model"]
