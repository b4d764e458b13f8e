"""Batch predictions: a queue job that predicts a dataset version with a model into a file."""
