"""Domain errors of tuning; app/errors.py maps each to an HTTP status. Invalid requests are
the training domain's InvalidTrainingRequest (a 422 naming the field)."""

from app.tuning.store import TuningAlreadyExists


class TuningNotFound(Exception):
    def __init__(self, tuning_id: str) -> None:
        self.tuning_id = tuning_id
        super().__init__(f"tuning job {tuning_id!r} not found")


class TuningAlreadyEnded(Exception):
    def __init__(self, tuning_id: str, status: str) -> None:
        self.tuning_id = tuning_id
        self.status = status
        super().__init__(
            f"tuning job {tuning_id!r} has already ended ({status}); it cannot be cancelled"
        )


__all__ = ["TuningAlreadyEnded", "TuningAlreadyExists", "TuningNotFound"]
