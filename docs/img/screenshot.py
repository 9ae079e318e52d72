"""The README's pictures of the reference portal, taken from a running portal (it starts nothing):

    make run                                  # or any gateway with the demo province loaded
    uv run --frozen python docs/img/screenshot.py --url http://127.0.0.1:8000

writes docs/img/portal-home.png (the home page) and docs/img/portal-guide.png (a demo matter's
guide, the page its QR code opens), at a desktop's width, with Debian's chromium driven by
Playwright as the portal's browser tests drive it (`make browser` installs it; GOVHALL_CHROMIUM
names another)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("GOVHALL_CHROMIUM", "/usr/bin/chromium")
# A demo county's matter (西陵区, `make run`'s demo province): its guide is the second picture.
GUIDE = "/guide/420502/420502-SCJGJ-0002"
PAGES = {"portal-home.png": "/", "portal-guide.png": GUIDE}


def settled(page: Page) -> None:
    """The page drawn: its <h1> shown, nothing still loading, the network quiet (images)."""
    page.wait_for_selector("main h1", state="visible")
    page.wait_for_function(
        "() => !document.querySelector('main .loading[role=status]') && !document.querySelector('main > .loading')"
    )
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the portal (the gateway's /)")
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNGs go (default: docs/img)")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            page = browser.new_page(
                viewport={"width": args.width, "height": args.height},
                locale="zh-CN",
                base_url=args.url.rstrip("/"),
            )
            for name, path in PAGES.items():
                page.goto(path)
                settled(page)
                target = args.out / name
                page.screenshot(path=str(target))  # the first screenful, as a visitor sees it
                print(f"{target} ({args.url.rstrip('/')}{path})")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
