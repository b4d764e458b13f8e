"""Online predictions: payload formats, input checks, the per-process model cache."""
