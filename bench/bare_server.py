"""The peer with nothing but the model: FastAPI + uvicorn holding one joblib model in memory.

    python -m bench.bare_server PORT NAME=MODEL.joblib [NAME=MODEL.joblib ...]

POST /predict/NAME takes the same body as the others ({"dataframe_split": {"columns", "data"}}) and
answers {"predictions": [...]}: no checks, no cache, no metrics, the least a server can do
(predicting on the event loop, as the fastest such endpoint would). A pipeline fitted on named
columns (the uploaded table's models) gets a DataFrame of the body's columns, as it needs.
"""

import sys
from typing import Annotated, Any

import joblib
import numpy as np
import pandas as pd
import uvicorn
from fastapi import Body, FastAPI


def make_app(models: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.post("/predict/{name}")
    async def predict(name: str, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        split, model = body["dataframe_split"], models[name]
        if hasattr(model, "feature_names_in_"):
            rows: Any = pd.DataFrame(split["data"], columns=split["columns"])
        else:
            rows = np.asarray(split["data"], dtype=np.float64)
        return {"predictions": [str(p) for p in model.predict(rows).tolist()]}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: list[str]) -> None:
    models = {name: joblib.load(path) for name, path in (a.split("=", 1) for a in argv[1:])}
    uvicorn.run(make_app(models), host="127.0.0.1", port=int(argv[0]), log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
