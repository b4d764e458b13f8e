"""Registry statistics, computed portably.

FerretDB v1.24 computes only the first accumulator of a `$group` stage correctly (a second one
comes back 0), and supports only `$sum` and `$count` there. So each figure has its own pipeline
with one `$sum`, and the mean accuracy is sum / count computed here, over the models whose
test accuracy is a number (a NaN is stored as null and must not count).
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from app.storage import FILES, JOBS, MODELS, model_list_index_name
from tensorfleet.schemas.registry import AlgorithmStatistics, ModelRead, StatisticsRead

RECENT = 5
HAS_ACCURACY = {"metrics.test_accuracy": {"$type": "number"}}


async def sum_by(
    db: AsyncDatabase, collection: str, *, key: str | None, value: Any, match: dict | None = None
) -> dict[Any, float]:
    """{group key: $sum of value}, one accumulator per stage."""
    stages: list[dict[str, Any]] = [{"$match": match}] if match else []
    stages.append({"$group": {"_id": f"${key}" if key else None, "total": {"$sum": value}}})
    cursor = await db[collection].aggregate(stages)
    return {row["_id"]: row["total"] async for row in cursor}


async def algorithm_statistics(db: AsyncDatabase) -> list[AlgorithmStatistics]:
    counts = await sum_by(db, MODELS, key="algorithm", value=1)
    rated = await sum_by(db, MODELS, key="algorithm", value=1, match=HAS_ACCURACY)
    sums = await sum_by(
        db, MODELS, key="algorithm", value="$metrics.test_accuracy", match=HAS_ACCURACY
    )
    return [
        AlgorithmStatistics(
            algorithm=algorithm,
            count=int(count),
            mean_test_accuracy=sums.get(algorithm, 0.0) / rated[algorithm]
            if rated.get(algorithm)
            else None,
        )
        for algorithm, count in sorted(counts.items(), key=lambda item: str(item[0]))
    ]


async def recent_models(db: AsyncDatabase) -> list[ModelRead]:
    cursor = db[MODELS].find(
        {},
        sort=[("created_at", -1), ("_id", -1)],
        limit=RECENT,
        hint=model_list_index_name(None, "created_at"),
    )
    return [ModelRead.from_document(document) async for document in cursor]


async def registry_statistics(db: AsyncDatabase) -> StatisticsRead:
    jobs = await sum_by(db, JOBS, key="status", value=1)
    stored_bytes = await sum_by(db, FILES, key=None, value="$length")
    stored_files = await sum_by(db, FILES, key=None, value=1)
    algorithms = await algorithm_statistics(db)
    return StatisticsRead(
        total_models=sum(algorithm.count for algorithm in algorithms),
        algorithms=algorithms,
        recent_models=await recent_models(db),
        jobs_by_status={str(status): int(count) for status, count in jobs.items()},
        bytes_stored=int(stored_bytes.get(None, 0)),
        files_stored=int(stored_files.get(None, 0)),
    )
