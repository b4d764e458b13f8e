"""Domain errors of API keys; app/errors.py maps each to an HTTP status."""


class KeyNotFound(Exception):
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"no API key {key_id}")
