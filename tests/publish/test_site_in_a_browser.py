"""The built site as a reader sees it: every page opened in headless Chromium (Debian's package, which
``.ci/run`` installs), served on loopback. No request fails, no console error, every figure has a size,
and the profiles x properties table fits a 1400 px window without scrolling sideways."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from model.catalogue import Catalogue

from .browser import PageVisit, browser, chromium_path
from .conftest import build_site

FIGURES = """[...document.querySelectorAll('article img')].map(i => {
  const box = i.getBoundingClientRect();
  return {src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0,
          width: box.width, height: box.height};
})"""
OVERFLOW = """[...document.querySelectorAll('article table')].map(t => {
  const wrap = t.closest('.md-typeset__scrollwrap') || t.parentElement;
  return {scroll: wrap.scrollWidth, visible: wrap.clientWidth};
})"""
VIOLATED = (
    """[...document.querySelectorAll('.verdict-violated')].map(e => getComputedStyle(e).backgroundColor)"""
)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests are checked in the browser; no log on stderr."""


@pytest.fixture(scope="module")
def served_site(
    catalogue: Catalogue,
    results: dict[str, Any],
    fixes: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    site = build_site(tmp_path_factory.mktemp("site"), results, catalogue, fixes)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_every_page_loads_cleanly_in_chromium(served_site: tuple[str, Path], tmp_path: Path) -> None:
    executable = chromium_path()
    if executable is None:
        pytest.fail("Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")
    base, site = served_site
    pages = sorted(str(p.relative_to(site).parent) for p in site.rglob("index.html"))
    assert len(pages) >= 25
    visits: list[PageVisit] = []
    figures: list[dict[str, Any]] = []
    with browser(executable, tmp_path / "profile") as chromium:
        for page in pages:
            visits.append(chromium.visit(base + ("" if page == "." else page + "/")))
            figures += chromium.evaluate(FIGURES)
        chromium.visit(base + "generated/results/")
        overflow = chromium.evaluate(OVERFLOW)
        violated = chromium.evaluate(VIOLATED)
    assert sum(v.requests for v in visits) > len(pages)
    assert [(v.url, v.failed) for v in visits if v.failed] == []
    assert [(v.url, v.errors) for v in visits if v.errors] == []
    svg_files = [p for p in site.rglob("*.svg") if "generated" in p.parts]
    assert len([f for f in figures if f["src"].endswith(".svg")]) == len(svg_files) > 0
    assert [f for f in figures if not (f["loaded"] and f["width"] > 0 and f["height"] > 0)] == []
    assert overflow and all(t["scroll"] <= t["visible"] for t in overflow), overflow
    assert violated and all(colour == "rgb(192, 0, 0)" for colour in violated)
