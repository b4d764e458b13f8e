"""Python client of the TensorFleet API, blocking and asyncio, with the API's own schemas.

from tensorfleet.client import TensorFleetClient

with TensorFleetClient() as tf:          # $TENSORFLEET_URL, $TENSORFLEET_API_KEY
    job = tf.train(dataset_name="iris", algorithm="svm", model_name="iris-svm")
    done = tf.wait_for_job(job.job_id)
    tf.download_model(done.model_id, "iris-svm.joblib")
"""

from tensorfleet.client.async_ import AsyncTensorFleetClient
from tensorfleet.client.calls import ModelQuery
from tensorfleet.client.config import API_KEY_ENV, URL_ENV
from tensorfleet.client.download import DownloadCorrupted, ModelDownload
from tensorfleet.client.errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    JobWaitTimeout,
    NotFound,
    RateLimited,
    ServerError,
    TensorFleetError,
    Unauthorized,
    UnexpectedResponse,
    ValidationFailed,
)
from tensorfleet.client.polling import Backoff
from tensorfleet.client.sync import TensorFleetClient

__all__ = [
    "API_KEY_ENV",
    "URL_ENV",
    "AsyncTensorFleetClient",
    "Backoff",
    "BadRequest",
    "Conflict",
    "ConnectionFailed",
    "DownloadCorrupted",
    "Forbidden",
    "JobWaitTimeout",
    "ModelDownload",
    "ModelQuery",
    "NotFound",
    "RateLimited",
    "ServerError",
    "TensorFleetClient",
    "TensorFleetError",
    "Unauthorized",
    "UnexpectedResponse",
    "ValidationFailed",
]
