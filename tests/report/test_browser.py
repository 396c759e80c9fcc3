"""Every kind of report, opened in a real browser (headless Chromium driven by Playwright).

Each page must load with no console message of level warning or error, no uncaught exception, no
request outside the file itself (it must open offline), every image decoded, and its sections and
headings present; a full-page screenshot of each is saved under test-output/screenshots/ (or
$ARCHWISE_TEST_OUTPUT/screenshots/). Chromium comes from Debian's ``chromium`` package, which
``make test`` installs when it is missing; where it cannot be installed the test is skipped and
says why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from archwise.report.document import write_report

from .test_document import HEADINGS

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("ARCHWISE_TEST_OUTPUT", ROOT / "test-output")) / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-default-apps"]


def _chromium() -> str | None:
    for name in (os.environ.get("ARCHWISE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (path := shutil.which(name)):
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser test skipped: the playwright package is not installed (pip install -e '.[dev]')")
    path = _chromium()
    if path is None:
        pytest.skip("browser test skipped: no chromium on PATH; `make test` installs Debian's chromium package when "
                    "it runs as root with apt-get, else install it (apt-get install chromium) or set ARCHWISE_CHROMIUM")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


def _open(browser, html: Path, shot: Path) -> tuple[object, list[str]]:  # noqa: ANN001
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning", "assert") else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    page.on("request", lambda r: problems.append(f"request: {r.url[:80]}")
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(html.as_uri(), wait_until="load")
    broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length")
    if broken:
        problems.append(f"{broken} image(s) did not decode")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    return page, problems


@pytest.mark.parametrize("kind", list(HEADINGS))
def test_report_renders_in_chromium(browser, results, tmp_path, kind) -> None:
    html = write_report([results[kind]], tmp_path / f"{kind}.html")
    page, problems = _open(browser, html, OUTPUT / f"{kind}.png")
    try:
        assert problems == []
        assert page.locator(f'section[data-kind="{kind}"]').count() == 1
        headings = page.locator(f'section[data-kind="{kind}"] h3').all_inner_texts()
        for expected in HEADINGS[kind]:
            expected = expected.replace("&#39;", "'")
            assert any(h.startswith(expected) for h in headings), (expected, headings)
        assert page.locator("figure img").count() >= (0 if kind == "check" else 1)  # check: findings, no plot
        assert page.title()
    finally:
        page.close()
    assert (OUTPUT / f"{kind}.png").stat().st_size > 10_000


def test_combined_report_renders_in_chromium(browser, results, tmp_path) -> None:
    html = write_report(list(results.values()), tmp_path / "all.html")
    page, problems = _open(browser, html, OUTPUT / "all.png")
    try:
        assert problems == []
        kinds = page.locator("section.report").evaluate_all("els => els.map(e => e.dataset.kind)")
        assert kinds == ["design", "ladder", "profile", "check", "monitor"]
        # every overview link lands on its section
        targets = page.locator("nav.toc a").evaluate_all("els => els.map(a => a.getAttribute('href').slice(1))")
        assert len(targets) == 5
        for t in targets:
            assert page.locator(f"#{t}").count() == 1
    finally:
        page.close()
