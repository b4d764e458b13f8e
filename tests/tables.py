"""Real tables the tests write themselves: scikit-learn's bundled breast cancer (binary) and
diabetes (regression), and a generated table with text categories and missing values."""

from functools import cache

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes


@cache
def breast_cancer() -> pd.DataFrame:
    """569 rows, 30 numeric features, `diagnosis` malignant/benign."""
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.drop(columns="target")
    frame["diagnosis"] = np.asarray(bunch.target_names)[bunch.target]
    return frame


@cache
def diabetes() -> pd.DataFrame:
    """442 rows, 10 numeric features, `progression` a real number."""
    frame = load_diabetes(as_frame=True).frame
    return frame.rename(columns={"target": "progression"})


@cache
def customers(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """A table a user would have: an id, numbers and text categories with gaps, a boolean, a
    class target (`churned`) and a numeric one (`spend`) that depend on them."""
    rng = np.random.default_rng(seed)
    age = rng.normal(45, 12, rows).round(1)
    plan = rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2])
    city = rng.choice(["Lyon", "Oslo", "Porto", "Turin"], rows)
    member = rng.choice([True, False], rows)
    spend = 20 + 0.8 * age + np.select([plan == "plus", plan == "pro"], [30, 70], 0)
    spend = (spend + 10 * member + rng.normal(0, 5, rows)).round(2)
    churned = np.where((plan == "basic") & (age < 45), "yes", "no")
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{100000 + i}" for i in range(rows)],
            "age": age,
            "plan": plan,
            "city": city,
            "member": member,
            "spend": spend,
            "churned": churned,
        }
    )
    frame.loc[frame.index % 9 == 0, "age"] = np.nan
    frame.loc[frame.index % 7 == 0, "city"] = np.nan
    return frame
