"""How soon arq re-runs a job whose worker died: its in-progress key lives for the largest
timeout of all the worker's functions, crons included, plus 10 s. No cron may stretch that
beyond the jobs' own timeout, or a lost training job waits for the slowest housekeeping."""

import pytest

from app.config import Settings
from app.training.queue import arq_timeout_seconds
from workers.worker import build_worker


@pytest.mark.parametrize("job_timeout", [60, 600])
def test_a_lost_job_is_rerun_within_the_jobs_own_timeout(job_timeout: int) -> None:
    settings = Settings(job_timeout_seconds=job_timeout, drift_check_minutes=10)
    worker = build_worker(settings)
    assert worker.in_progress_timeout_s == arq_timeout_seconds(settings) + 10
