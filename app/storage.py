"""Every collection and every index the service uses: the one place either is named.

Created at start-up (API and worker), idempotently. Each list query sorts on a compound index
ending in `_id`, so pages are stable and a deep page walks the index, not the collection. A
query that names its index as a hint gets the name from here, built the same way the index was.
"""

from pymongo import ASCENDING, DESCENDING, IndexModel

# Collections.
MODELS = "models"
MODEL_COUNTERS = "model_counters"  # the next version number per model name
JOBS = "jobs"
JOB_ENDINGS = "job_endings"  # one document per ended job: the claim on its terminal state
DATASETS = "datasets"  # one document per dataset name (its version counter)
DATASET_VERSIONS = "dataset_versions"  # one per (name, version): status, files, profile
DATASET_BUCKET = "datasets"  # GridFS bucket of the datasets' uploads and normalised copies
MODEL_ALIASES = "model_aliases"  # one per (name, alias): `_id` "<name>/<alias>", the version
# (null once removed) and a revision raised by every write
MODEL_ALIAS_HISTORY = "model_alias_history"  # every alias change, appended
ENDPOINTS = "endpoints"  # one per A/B endpoint: `_id` its name, routes with weights, shadow
DATASET_CLAIMS = "dataset_upload_claims"  # one per (name, bytes, target, task): dedup's claim
BATCH_PREDICTIONS = "batch_predictions"  # one per batch prediction job, `_id` = its id
BATCH_PREDICTION_ENDINGS = "batch_prediction_endings"  # the claims on their terminal states
PREDICTION_BUCKET = "predictions"  # GridFS bucket of the batch predictions' output files
PREDICTION_FILES = "predictions.files"
PREDICTION_CHUNKS = "predictions.chunks"
API_KEYS = "api_keys"
WEBHOOKS = "webhooks"  # one per registered webhook: URL, events, signing secret
DELIVERIES = "webhook_deliveries"  # one per (event, webhook) delivery: its log
SERVER_SECRETS = "server_secrets"  # keys the API replicas share, e.g. the cursor HMAC key
TUNING_JOBS = "tuning_jobs"  # one document per search, `_id` = the tuning id
TUNING_TRIALS = "tuning_trials"  # one per (tuning_id, number)
TUNING_ENDINGS = "tuning_endings"  # one per ended search: the claim on its terminal state
DRIFT_REFERENCES = "drift_references"  # one per model (`_id` is its id): its reference profile
DRIFT_REPORTS = "drift_reports"  # one per model (`_id` is its id): its latest drift report
FILES = "fs.files"  # the model files' GridFS bucket (the default one)
CHUNKS = "fs.chunks"
EVALUATIONS = "evaluations"  # evaluation jobs and their results
EVALUATION_ENDINGS = "evaluation_endings"  # one per ended evaluation: the claim on its end
MODEL_INSIGHTS = "model_insights"  # per model id: residual sample, linear baseline (not listed)

# The model list: each (filter, sort) pair the API accepts has one index,
# `[<filter field>,] <sort field>, _id`; the names are `[<filter>_]<sort>`.
MODEL_LIST_FILTERS: dict[str, str] = {  # field -> its part of the index name
    "name": "name",
    "algorithm": "algorithm",
    "dataset_name": "dataset",
}
MODEL_LIST_SORTS: dict[str, str] = {  # field -> its part of the index name
    "created_at": "created",
    "version": "version",
    "metrics.test_accuracy": "test_accuracy",
}
NAME_VERSION_UNIQUE = "name_version_unique"


def model_list_index_name(filter_field: str | None, sort_field: str) -> str:
    sort = MODEL_LIST_SORTS[sort_field]
    return f"{MODEL_LIST_FILTERS[filter_field]}_{sort}" if filter_field else sort


def model_list_keys(filter_field: str | None, sort_field: str) -> list[tuple[str, int]]:
    keys = [(sort_field, DESCENDING), ("_id", DESCENDING)]
    return [(filter_field, ASCENDING), *keys] if filter_field else keys


def _model_list_indexes() -> list[IndexModel]:
    return [
        IndexModel(model_list_keys(field, sort), name=model_list_index_name(field, sort))
        for field in (None, *MODEL_LIST_FILTERS)
        for sort in MODEL_LIST_SORTS
    ]


INDEXES: dict[str, list[IndexModel]] = {
    MODELS: [
        IndexModel(
            [("name", ASCENDING), ("version", ASCENDING)], unique=True, name=NAME_VERSION_UNIQUE
        ),
        *_model_list_indexes(),
        IndexModel([("job_id", ASCENDING)], name="job"),
        IndexModel([("file_id", ASCENDING)], name="file"),
        IndexModel([("tuning_job_id", ASCENDING)], name="tuning_job"),
    ],
    JOBS: [
        IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
        IndexModel(
            [("status", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="status_created",
        ),
        # The active-job cap counts one owner's queued and running jobs.
        IndexModel([("owner", ASCENDING), ("status", ASCENDING)], name="owner_status"),
    ],
    DATASETS: [IndexModel([("name", ASCENDING)], unique=True, name="name_unique")],
    # A model's evaluations, newest first.
    EVALUATIONS: [
        IndexModel(
            [("model_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="model_created",
        ),
        IndexModel([("owner", ASCENDING), ("status", ASCENDING)], name="owner_status"),
    ],
    DATASET_VERSIONS: [
        IndexModel(
            [("name", ASCENDING), ("version", ASCENDING)], unique=True, name=NAME_VERSION_UNIQUE
        ),
        IndexModel([("name", ASCENDING), ("sha256", ASCENDING)], name="name_sha256"),
    ],
    # Deleting a version asks which aliases point at it.
    MODEL_ALIASES: [IndexModel([("name", ASCENDING), ("version", ASCENDING)], name="name_version")],
    MODEL_ALIAS_HISTORY: [
        IndexModel(
            [("name", ASCENDING), ("changed_at", DESCENDING), ("_id", DESCENDING)],
            name="name_changed",
        ),
        IndexModel(
            [("name", ASCENDING), ("alias", ASCENDING), ("revision", DESCENDING)],
            name="name_alias_revision",
        ),
    ],
    # Deleting a version asks which endpoints route to its name.
    ENDPOINTS: [IndexModel([("model", ASCENDING)], name="model")],
    TUNING_JOBS: [
        IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
        IndexModel([("status", ASCENDING)], name="status"),
    ],
    # A trial's number is unique within its search: a step run twice never adds it twice.
    TUNING_TRIALS: [
        IndexModel(
            [("tuning_id", ASCENDING), ("number", ASCENDING)], unique=True, name="tuning_number"
        )
    ],
    BATCH_PREDICTIONS: [
        # A model's batch predictions, newest first; and the active ones (quota, requeue).
        IndexModel(
            [("model.id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="model_created",
        ),
        IndexModel([("owner", ASCENDING), ("status", ASCENDING)], name="owner_status"),
        IndexModel([("file_id", ASCENDING)], name="file"),
    ],
    PREDICTION_FILES: [IndexModel([("uploadDate", ASCENDING)], name="upload_date")],
    API_KEYS: [IndexModel([("hash", ASCENDING)], unique=True, name="hash_unique")],
    WEBHOOKS: [IndexModel([("created_at", ASCENDING), ("_id", ASCENDING)], name="created")],
    DELIVERIES: [
        # A webhook's delivery log, newest first; also the ordering check of one webhook.
        IndexModel(
            [("webhook_id", ASCENDING), ("sequence", DESCENDING), ("_id", DESCENDING)],
            name="webhook_sequence",
        ),
        # The sweeps: deliveries never handed to the queue, and ended ones past retention.
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="status_created"),
    ],
    # The drift sweep's range on creation time (references of models that never appeared).
    DRIFT_REFERENCES: [IndexModel([("created_at", ASCENDING)], name="created")],
    # The orphan sweep's range on upload time.
    FILES: [IndexModel([("uploadDate", ASCENDING)], name="upload_date")],
    # GridFS's own index (its name and keys as PyMongo makes it) for the dataset files that
    # app/gridfs_chunks.py writes without PyMongo's GridIn, which would create it.
    f"{DATASET_BUCKET}.chunks": [
        IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True, name="files_id_1_n_1")
    ],
}
