"""Drift: a reference profile of each model's inputs and predictions, taken at training, a
bounded sample of live traffic, and the report comparing the two (docs/drift.md)."""
