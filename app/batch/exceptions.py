"""What can go wrong with a batch prediction, in domain terms; app/errors.py maps them to HTTP."""


class BatchError(Exception):
    """Base of the batch prediction domain's errors."""


class InvalidBatchRequest(BatchError):
    """The model and the dataset version do not fit together, or a field names what is not
    there: `location` is the field (FastAPI's `loc`), `message` what is wrong."""

    def __init__(self, location: tuple[str, ...], message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(message)


class BatchPredictionNotFound(BatchError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"no batch prediction {job_id!r}")


class BatchPredictionBusy(BatchError):
    """The job has not ended: its output is not there yet, or it cannot be deleted yet."""

    def __init__(self, job_id: str, status: str, wanted: str) -> None:
        self.status = status
        super().__init__(f"batch prediction {job_id!r} is {status}; {wanted}")
