"""Logging set-up shared by the API and the worker.

Messages carry values from requests (a path, a name), so each is written on one line with its
control characters escaped: a CR or LF cannot start a line of the caller's making, and an ESC
cannot reach the terminal that shows the log. A traceback, which the formatter appends after
the message, keeps its lines.
"""

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F] if code != 0x09}
ESCAPES |= {0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"}


class OneLineFormatter(logging.Formatter):
    """The standard formatter, with the message's control characters escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = record.message.translate(ESCAPES)
        return super().formatMessage(record)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("pymongo", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
