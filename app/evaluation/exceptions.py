"""Domain errors of evaluations; app/errors.py maps each to an HTTP status."""


class EvaluationError(Exception):
    """Base of the evaluation domain's errors."""


class InvalidEvaluationRequest(EvaluationError):
    """A field the server alone can judge (the dataset's schema, a threshold's metric)."""

    def __init__(self, location: tuple[str, ...], message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(message)


class EvaluationNotFound(EvaluationError):
    pass
