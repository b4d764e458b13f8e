"""`python -m bench.drift --quick` runs end to end: the harness flags the columns it shifted and
measures predict with sampling on and off. No timing is asserted (bench/RESULTS.md has them)."""

import argparse

from bench.drift import SHIFTED, run


def test_quick_drift_bench_flags_what_it_shifted() -> None:
    results = run(argparse.Namespace(quick=True, evidently=False))
    assert results["drift"]["ours"]["drifted"] == SHIFTED
    predict = results["predict"]
    assert predict["sampling_on"]["n"] == predict["sampling_off"]["n"] > 0
    assert predict["sampled_rows_stored"] == predict["requests_each"] + 50  # warm-up included
