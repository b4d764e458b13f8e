"""What a search's trials add up to: counts, the best trial and the leaderboard. Computed from
the stored trials on every read, so they can never disagree with them."""

from typing import Any

from app.tuning.metrics import Direction
from tensorfleet.schemas.tuning import BestTrial, LeaderboardRow, TrialState

OPEN = (TrialState.queued, TrialState.running)


def ranked(trials: list[dict[str, Any]], direction: Direction) -> list[dict[str, Any]]:
    """Complete trials with a score, best first (ties: the earlier trial first)."""
    scored = [t for t in trials if t["state"] == TrialState.complete and t["score"] is not None]
    sign = -1 if direction == "maximize" else 1
    return sorted(scored, key=lambda t: (sign * t["score"], t["number"]))


def best_trial(trials: list[dict[str, Any]], direction: Direction) -> dict[str, Any] | None:
    ordered = ranked(trials, direction)
    return ordered[0] if ordered else None


def best_of(trials: list[dict[str, Any]], direction: Direction) -> BestTrial | None:
    best = best_trial(trials, direction)
    if best is None:
        return None
    return BestTrial(
        number=best["number"],
        algorithm=best["algorithm"],
        params=best["params"],
        score=best["score"],
    )


def leaderboard(trials: list[dict[str, Any]], direction: Direction) -> list[LeaderboardRow]:
    return [
        LeaderboardRow(
            rank=rank,
            number=t["number"],
            algorithm=t["algorithm"],
            params=t["params"],
            score=t["score"],
            fit_seconds=t.get("fit_seconds"),
        )
        for rank, t in enumerate(ranked(trials, direction), start=1)
    ]


def open_trials(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in trials if t["state"] in OPEN]
