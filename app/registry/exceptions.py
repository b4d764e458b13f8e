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


class AliasNotFound(ModelNotFound):
    """The name has no such alias (a 404, like any unknown model reference)."""


class ModelInUse(RegistryError):
    """A version that aliases point at (or endpoints route to) is not deleted unless forced;
    endpoints refuse even then: their routes must change first."""

    def __init__(self, name: str, version: int, aliases: list[str], endpoints: list[str]) -> None:
        self.aliases, self.endpoints = aliases, endpoints
        parts = [f"aliases {', '.join(aliases)} point at it"] if aliases else []
        parts += [f"endpoints {', '.join(endpoints)} route to it"] if endpoints else []
        advice = "move the endpoints' routes first" if endpoints else "force=true removes them"
        super().__init__(f"{name} v{version} is in use: {'; '.join(parts)}; {advice}")


class AliasInUse(RegistryError):
    """Endpoints route through this alias: removing it would leave their traffic nowhere."""

    def __init__(self, name: str, alias: str, endpoints: list[str]) -> None:
        self.aliases, self.endpoints = [alias], endpoints
        super().__init__(
            f"alias {alias!r} of {name!r} is in use: endpoints {', '.join(endpoints)} route "
            "through it; change their routes first"
        )
