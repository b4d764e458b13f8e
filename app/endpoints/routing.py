"""Which route serves a request: by the routing key's stable hash, else at random by weight.

A key's place in [0, 1) is the first 8 bytes of sha256(endpoint, key): the same key lands on
the same route on every API process and across restarts, while the weights stay the same
(changing them moves only the keys whose place crosses a boundary). Routes are laid end to end
in their order, each as wide as its share of the total weight.
"""

import hashlib
import random
from collections.abc import Sequence

from tensorfleet.schemas.endpoints import Route

SCALE = float(2**64)


def key_place(endpoint: str, key: str) -> float:
    digest = hashlib.sha256(f"{endpoint}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / SCALE


def pick(routes: Sequence[Route], place: float) -> Route:
    """The route whose span of [0, 1) holds `place`; routes of weight 0 hold none."""
    total = sum(route.weight for route in routes)
    edge = 0.0
    for route in routes:
        edge += route.weight / total
        if route.weight > 0 and place < edge:
            return route
    return next(route for route in reversed(routes) if route.weight > 0)  # rounding at 1.0


def choose(endpoint: str, routes: Sequence[Route], key: str | None) -> Route:
    place = key_place(endpoint, key) if key is not None else random.random()
    return pick(routes, place)
