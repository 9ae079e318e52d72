"""The portal in a real browser: Debian's chromium driven by Playwright, axe-core's checks, and
screenshots kept as artefacts.

Playwright's own browser download is not reachable from every machine, so it launches Debian's
chromium by its path (GOVHALL_CHROMIUM, default /usr/bin/chromium; `make browser` installs it).
A missing browser fails the test loudly: never a skip.

Screenshots go to GOVHALL_TEST_ARTEFACTS (default var/artefacts/portal), one PNG per step and
width, named by the test.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("GOVHALL_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(os.environ.get("GOVHALL_TEST_ARTEFACTS", ROOT / "var" / "artefacts" / "portal"))
AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"

# The widths every page is checked at: a phone (iPhone 12/13/14's CSS width) and a desktop.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}

# How long a step may wait for the page (a busy CI machine renders PDFs meanwhile).
STEP_MS = 30_000


# Per module, not per session: Playwright's sync API keeps an event loop of its own while it runs,
# and the e2e cluster's teardown (after the last module) runs asyncio itself.
@pytest.fixture(scope="module")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no chromium at {CHROMIUM}: run `make browser` (Debian's chromium), or set GOVHALL_CHROMIUM",
            pytrace=False,
        )
    b = playwright_session.chromium.launch(
        executable_path=CHROMIUM,
        # Root in CI has no user namespace sandbox; /dev/shm is small in containers.
        args=["--no-sandbox", "--disable-dev-shm-usage"],
    )
    yield b
    b.close()


def new_context(browser: Browser, base_url: str, width: str = "desktop") -> BrowserContext:
    """A fresh browser profile (no session, no site choice) at one of WIDTHS."""
    context = browser.new_context(
        base_url=base_url,
        viewport=WIDTHS[width],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
        is_mobile=width == "phone",
        has_touch=width == "phone",
    )
    context.set_default_timeout(STEP_MS)
    return context


def _fresh_page(browser: Browser, portal_url: str, width: str) -> Iterator[Page]:
    context = new_context(browser, portal_url, width)
    page = context.new_page()
    watch_console(page)
    yield page
    context.close()


@pytest.fixture
def desktop(browser: Browser, portal_url: str) -> Iterator[Page]:
    yield from _fresh_page(browser, portal_url, "desktop")


@pytest.fixture
def phone(browser: Browser, portal_url: str) -> Iterator[Page]:
    yield from _fresh_page(browser, portal_url, "phone")


def watch_console(page: Page) -> None:
    """Keep the page's uncaught errors: `assert_no_script_errors` fails on any."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page._govhall_errors = errors  # type: ignore[attr-defined]


def assert_no_script_errors(page: Page) -> None:
    errors = getattr(page, "_govhall_errors", [])
    assert not errors, f"uncaught script errors: {errors}"


def settled(page: Page) -> None:
    """Wait until the portal has drawn the page: its <h1> is there and nothing says 正在加载."""
    page.wait_for_selector("main h1", state="visible")
    page.wait_for_function(
        "() => !document.querySelector('main .loading[role=status]') && !document.querySelector('main > .loading')"
    )


def open_page(page: Page, path: str) -> None:
    page.goto(path)
    settled(page)


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot kept as an artefact: <test>/<name>-<width>.png."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "portal").split(" ")[0]
    folder = ARTEFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test.split("::")[-1] or "portal")
    folder.mkdir(parents=True, exist_ok=True)
    width = "phone" if (page.viewport_size or {}).get("width", 0) < 700 else "desktop"
    path = folder / f"{re.sub(r'[^A-Za-z0-9_-]+', '_', name)}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# What the accessibility check fails on: axe-core's serious and critical violations of WCAG 2.x A
# and AA (and its best practices, which include landmarks and headings).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}


def axe(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is; the serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the portal's CSP (no inline script)
        # does not block, unlike a <script> tag would be.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [v for v in result["violations"] if v.get("impact") in FAILING_IMPACTS]


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    bad = axe(page)
    summary = [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in bad
    ]
    assert not bad, (
        f"{page.url}: accessibility violations:\n{json.dumps(summary, ensure_ascii=False, indent=1)}"
    )


def assert_fits(page: Page) -> None:
    """The layout fits the width: nothing makes the page scroll sideways (tables scroll inside
    their own region)."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{page.url}: the page is {overflow}px wider than the viewport"


def check_page(page: Page, name: str) -> None:
    """Every page's checks: drawn, accessible, fitting its width, no script error; a screenshot."""
    settled(page)
    shot(page, name)
    assert_accessible(page)
    assert_fits(page)
    assert_no_script_errors(page)


def sign_in_as(page: Page, tokens: dict[str, Any]) -> None:
    """Sign the browser in with tokens from /api/v1/auth/login (the portal keeps them for the tab),
    for tests whose subject is not the sign-in page itself."""
    page.goto("/")
    page.evaluate(
        "(s) => sessionStorage.setItem('govhall.session', JSON.stringify(s))",
        {
            "access_token": tokens["access_token"],
            "refresh_token": tokens.get("refresh_token", ""),
            "account": tokens["account"],
        },
    )
