"""Domain errors of training; the router maps each to an HTTP status."""


class TrainingError(Exception):
    """Base of the training domain's errors."""


class InvalidTrainingRequest(TrainingError):
    """A request field is invalid in a way only the server can tell (dataset, hyperparameters)."""

    def __init__(self, location: tuple[str, ...], message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(message)


class InvalidHyperparameter(InvalidTrainingRequest):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(("body", "hyperparameters", name), message)


class UnknownDataset(InvalidTrainingRequest):
    def __init__(self, name: str, available: list[str]) -> None:
        super().__init__(
            ("body", "dataset_name"),
            f"unknown dataset {name!r}; available: {', '.join(available) or 'none'}",
        )


class UnsupportedTask(InvalidTrainingRequest):
    """The algorithm has no estimator for the dataset's task; the message names those that do."""

    def __init__(self, algorithm: str, task: str, alternatives: list[str]) -> None:
        super().__init__(
            ("body", "algorithm"),
            f"{algorithm} does not support {task}; for a {task} dataset use one of: "
            f"{', '.join(alternatives)}",
        )


class DatasetNotFound(TrainingError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"dataset {name!r} not found")


class JobNotFound(TrainingError):
    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id!r} not found")


class JobAlreadyExists(TrainingError):
    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id!r} already exists")


class JobAlreadyEnded(TrainingError):
    def __init__(self, job_id: str, status: str) -> None:
        self.job_id = job_id
        self.status = status
        super().__init__(f"job {job_id!r} has already ended ({status}); it cannot be cancelled")


class QueueUnavailable(TrainingError):
    """The queue did not confirm the job; it is recorded, and a retry with its id confirms it."""


class TooManyActiveJobs(TrainingError):
    """The caller already has its cap of queued and running jobs."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        super().__init__(
            f"this API key (or client address, with auth off) already has {cap} queued or "
            "running jobs, the most allowed at once (MAX_ACTIVE_JOBS_PER_KEY); wait for one to "
            "end or cancel one, then submit again"
        )
