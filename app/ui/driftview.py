"""The drift section of a model's page: the report computed now, each column's PSI as a bar."""

from typing import Any

from markupsafe import Markup
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from app.config import Settings
from app.drift.service import drift_report
from app.ui.charts import bar_chart

DRIFTED_MARK = " \u25b2"  # after a drifted column's name


def psi_chart(report: dict[str, Any]) -> Markup:
    """One bar per column and the predictions, drifted ones marked."""
    columns = [*report["columns"], *([report["prediction"]] if report["prediction"] else [])]
    rows = [(c["name"] + (DRIFTED_MARK if c["drifted"] else ""), c["psi"]) for c in columns]
    return bar_chart(rows, title="Population stability index by column", fmt="{:.3f}")


async def drift_section(
    db: AsyncDatabase, redis: Redis, settings: Settings, document: dict[str, Any]
) -> dict[str, Any]:
    """The template's `drift` (the report) and `drift_chart`."""
    report = await drift_report(db, redis, settings, document)
    chart = psi_chart(report) if report["status"] == "ok" else Markup("")
    return {"drift": report, "drift_chart": chart}
