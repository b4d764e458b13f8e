"""What a model predicts: a class (classification) or a number (regression).

A dataset's target decides its task; each algorithm name maps to one scikit-learn estimator
per task it supports. The enum is part of the API's schemas (tensorfleet.schemas.training),
owned there so that the client, which imports nothing of the server, has it too.
"""

from tensorfleet.schemas.training import Task

__all__ = ["Task"]
