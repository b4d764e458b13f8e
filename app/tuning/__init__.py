"""Hyperparameter tuning and AutoML: a search is a job whose trials are jobs of their own."""
