"""A live service for the browser tests and the screenshot script: the API and a worker as
real processes, and Debian's Chromium driven by Playwright (its own browser download is not
reachable everywhere, so it is pointed at the system executable)."""

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from app.config import Settings
from tests.samples import ADMIN
from tests.support import Process, run_api, run_worker

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 375, "height": 667}  # the narrowest phone the layout must hold on
PATIENCE_MS = 90_000  # a loaded 2-core CI machine can take seconds per page; this is no timing


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    assert path, "chromium is missing: scripts/ensure-chromium.sh installs it (make test runs it)"
    return path


@dataclass
class Live:
    api: Process
    keys: dict[str, str]

    @property
    def url(self) -> str:
        return self.api.url


def make_keys(url: str) -> dict[str, str]:
    made = {}
    for scope in ("read", "train", "admin"):
        body = {"name": f"ui-{scope}", "scopes": [scope]}
        response = httpx.post(f"{url}/api/v1/keys", json=body, headers=ADMIN, timeout=30)
        response.raise_for_status()
        made[scope] = response.json()["key"]
    return made


@contextmanager
def live_service(settings: Settings, logs: Path) -> Iterator[Live]:
    with (
        run_api(settings, logs / "api.log", ready_timeout=PATIENCE_MS / 1000) as api,
        run_worker(settings, logs / "worker.log"),
    ):
        yield Live(api, make_keys(api.url))


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            await browser.close()


async def new_context(browser: Browser, viewport: dict[str, int] = LAPTOP) -> BrowserContext:
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(PATIENCE_MS)
    return context


async def sign_in(page: Page, url: str, key: str) -> None:
    """Signs in with the keyboard only: the key field has focus, Enter submits."""
    await page.goto(f"{url}/ui/sign-in")
    # Autofocus may land a moment after "load": typing before it loses keys on a busy machine.
    await expect(page.locator("input[autofocus]")).to_be_focused()
    await page.keyboard.type(key)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{url}/ui")
