"""What can go wrong in the registry, in domain terms; the router maps these to HTTP."""


class RegistryError(Exception):
    """Base of the registry's domain errors."""


class ModelNotFound(RegistryError):
    """No model has this id (or the id is not an id at all), or this name and version."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ModelFileMissing(RegistryError):
    """The metadata exists but its GridFS file does not (deleted or swept under it)."""


class InvalidCursor(RegistryError):
    """An `after` token that is not one we issued, or issued for another sort."""
