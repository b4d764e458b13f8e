"""Every index the service needs, by collection; created at start-up, idempotently."""

from pymongo import IndexModel

INDEXES: dict[str, list[IndexModel]] = {}
