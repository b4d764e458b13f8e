"""What can go wrong with an A/B endpoint, in domain terms; app/errors.py maps these to HTTP."""

from collections.abc import Sequence


class EndpointError(Exception):
    """Base of the endpoints' domain errors."""


class EndpointNotFound(EndpointError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no endpoint {name!r}")


class InvalidEndpoint(EndpointError):
    """A route or the shadow does not fit (e.g. another input schema): a 422 naming it."""

    def __init__(self, location: Sequence[str | int], message: str) -> None:
        self.location, self.message = list(location), message
        super().__init__(message)
