"""Page arithmetic shared by every paged list, so jobs and models count pages the same way."""

import math


def page_count(total: int, limit: int) -> int:
    """Pages of `limit` items holding `total` items (0 when there are none)."""
    return math.ceil(total / limit)
