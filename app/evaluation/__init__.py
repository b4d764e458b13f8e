"""Evaluations: a stored model measured on a dataset version, as a queue job.

See docs/evaluation.md."""
