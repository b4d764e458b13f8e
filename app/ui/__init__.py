"""The web UI: server-rendered pages over the same services as the JSON routes.

`install(app)`, called after the error table and the other middleware are installed, adds the
pages under /ui, their static assets (served by the app, no CDN), error pages in place of JSON
errors under /ui (outermost, so refusals made before a route runs are pages too), and the
handler that turns a refused session into a page or a redirect to sign-in.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.ui import datasets, errors, jobs, models, pages, predict, session, train, tuning

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.add_middleware(errors.ErrorPages)
    app.add_exception_handler(session.UIRefusal, session.refusal_page)
    for module in (session, pages, jobs, train, models, predict, datasets, tuning):
        app.include_router(module.router)
