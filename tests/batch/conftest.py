"""Batch prediction fixtures: the registry's store clients and model factory."""

from tests.registry.conftest import bucket, db, make_model

__all__ = ["bucket", "db", "make_model"]
