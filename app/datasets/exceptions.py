"""Domain errors of datasets; app/routers/datasets.py maps each to an HTTP status."""


class DatasetError(Exception):
    """Base of the dataset domain's errors."""


class UploadRefused(DatasetError):
    """The body is refused before anything is stored: `status` is the HTTP status it gets,
    `location` what a 422 names (the body, or the query parameter it contradicts)."""

    def __init__(self, status: int, message: str, *, location: tuple[str, ...] = ("body",)) -> None:
        self.status, self.message, self.location = status, message, location
        super().__init__(message)


class DatasetNotFound(DatasetError):
    def __init__(self, name: str, version: int | None = None) -> None:
        self.name, self.version = name, version
        what = f"dataset {name!r}" + (f" version {version}" if version is not None else "")
        super().__init__(f"{what} not found")


class DatasetInUse(DatasetError):
    """Models reference the version; deleting it needs force."""

    def __init__(self, name: str, version: int, models: list[dict[str, str | int]]) -> None:
        self.models = models
        shown = ", ".join(f"{m['name']} v{m['version']} ({m['id']})" for m in models[:10])
        super().__init__(
            f"dataset {name!r} version {version} is used by {len(models)} model(s): {shown}; "
            "delete them first or pass force=true"
        )
