"""The peer with nothing but the model: FastAPI + uvicorn holding one joblib model in memory.

    python -m bench.bare_server PORT NAME=MODEL.joblib [NAME=MODEL.joblib ...]

POST /predict/NAME takes the same body as the others ({"dataframe_split": {"columns", "data"}}) and
answers {"predictions": [...]}: no checks, no cache, no metrics, the least a server can do
(predicting on the event loop, as the fastest such endpoint would).
"""

import sys
from typing import Annotated, Any

import joblib
import numpy as np
import uvicorn
from fastapi import Body, FastAPI


def make_app(models: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.post("/predict/{name}")
    async def predict(name: str, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        rows = np.asarray(body["dataframe_split"]["data"], dtype=np.float64)
        return {"predictions": [str(p) for p in models[name].predict(rows).tolist()]}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: list[str]) -> None:
    models = {name: joblib.load(path) for name, path in (a.split("=", 1) for a in argv[1:])}
    uvicorn.run(make_app(models), host="127.0.0.1", port=int(argv[0]), log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
