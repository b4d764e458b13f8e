"""Every index the service needs, by collection; created at start-up, idempotently.

Each list query sorts on a compound index ending in `_id`, so pages are stable and a deep page
walks the index, not the collection.
"""

from pymongo import ASCENDING, DESCENDING, IndexModel


def _sorted_by(field: str, suffix: str) -> list[IndexModel]:
    """A model list sorted by `field`: unfiltered, and filtered by name, algorithm or dataset."""
    keys = [(field, DESCENDING), ("_id", DESCENDING)]
    return [
        IndexModel(keys, name=suffix),
        IndexModel([("name", ASCENDING), *keys], name=f"name_{suffix}"),
        IndexModel([("algorithm", ASCENDING), *keys], name=f"algorithm_{suffix}"),
        IndexModel([("dataset_name", ASCENDING), *keys], name=f"dataset_{suffix}"),
    ]


INDEXES: dict[str, list[IndexModel]] = {
    "models": [
        IndexModel(
            [("name", ASCENDING), ("version", ASCENDING)], unique=True, name="name_version_unique"
        ),
        IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
        IndexModel(
            [("algorithm", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="algorithm_created",
        ),
        IndexModel(
            [("dataset_name", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="dataset_created",
        ),
        # The rest of the list's (filter, sort) pairs; see app/registry/listing.py.
        IndexModel(
            [("name", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="name_created",
        ),
        *_sorted_by("version", "version"),
        *_sorted_by("metrics.test_accuracy", "test_accuracy"),
        IndexModel([("job_id", ASCENDING)], name="job"),
        IndexModel([("file_id", ASCENDING)], name="file"),
    ],
    "jobs": [
        IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
        IndexModel(
            [("status", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="status_created",
        ),
    ],
    "datasets": [IndexModel([("name", ASCENDING)], unique=True, name="name_unique")],
    # The orphan sweep's range on upload time.
    "fs.files": [IndexModel([("uploadDate", ASCENDING)], name="upload_date")],
}
