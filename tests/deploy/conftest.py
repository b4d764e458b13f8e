"""The deployment checks need no Redis or MongoDB: only the `render` fixture of support.py."""

from tests.deploy.support import render

__all__ = ["render"]
