"""The documentation site: built as CI builds it, its links, API reference and executed tutorials.

The build is the documented command, ``python -m sphinx -W --keep-going -b html docs OUT``:
warnings are errors, every tutorial runs (an error in a cell, or anything a cell writes to
stderr, fails the build), and the viewer pictures are taken by headless Chromium.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

import cellucid

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 900
TUTORIALS = ("first-steps", "atlas-over-http", "scanpy-hooks")
VIEWPORT = (960, 600)   # docs/tutorials/viewer_page.py
# What only running each tutorial can print (the callbacks' own output among it).
EXECUTED_OUTPUT = {
    "first-steps": [r"AnnData object with n_obs × n_vars = 700 × 765",
                    r"\b([1-9]\d*) cells from lasso", r"CD19\+ B\s+\d+",
                    r"'B cells': ([1-9]\d*) cells", r"B cells\s+\d+", r"CD79A"],
    "atlas-over-http": [r"n_obs × n_vars = 2000000 × 40", r"\d+ requests, [\d.]+ MB sent of",
                        r"\b([1-9][\d,]*) cells from lasso", r"type 3\s+\d+",
                        r"GENE10: [\d.]+ MB read"],
    "scanpy-hooks": [r"([1-9]\d*) cells; top markers: \w+", r"sub 0\s+\d+"],
    "troubleshooting": [r"ok: ping [\d.]+ ms", r"no viewer page is connected"],
}
PICTURES = {"first-steps": 6, "atlas-over-http": 3, "scanpy-hooks": 3}
ERROR_OUTPUT = re.compile(r'class="output (traceback|stderr|error)')


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The built site (its html directory)."""
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("myst_nb")
    from .browser import chromium_path

    if chromium_path() is None:
        pytest.skip("the tutorials need Chromium: install Debian's chromium")
    out = tmp_path_factory.mktemp("docs") / "html"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
                           "docs", str(out)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=BUILD_TIMEOUT_S)
    assert done.returncode == 0, (done.stdout[-4000:] + "\n" + done.stderr[-6000:])
    return out


class _Links(HTMLParser):
    """Every ``id`` of a page, and every local link, image, stylesheet and script it refers to."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and not urlsplit(value).scheme and not value.startswith("//"):
                self.refs.append(value)
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])


def parse(page: Path) -> _Links:
    links = _Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def test_every_internal_link_resolves(site):
    # _static holds the theme's own files (its Jinja macros among them), not pages
    pages = {p: parse(p) for p in site.rglob("*.html") if "_static" not in p.parts}
    broken = []
    for page, links in pages.items():
        for ref in links.refs:
            parts = urlsplit(ref)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(site)} → {ref}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(site)} → {ref} (no such anchor)")
    assert len(pages) > 20
    assert not broken, "\n".join(broken[:30])


def test_every_public_name_is_in_the_api_reference(site):
    ids = parse(site / "api.html").ids
    missing = [f"cellucid.{name}" for name in cellucid.__all__ if f"cellucid.{name}" not in ids]
    viewer_members = [name for name, _ in inspect.getmembers(cellucid.Viewer)
                      if not name.startswith("_")]
    assert len(viewer_members) > 30
    missing += [f"cellucid.Viewer.{name}" for name in viewer_members
                if f"cellucid.Viewer.{name}" not in ids]
    for cls in (cellucid.SessionBundle, cellucid.HighlightGroup):
        members = {f.name for f in dataclasses.fields(cls)} | {
            name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}
        missing += [f"cellucid.{cls.__name__}.{name}" for name in sorted(members)
                    if f"cellucid.{cls.__name__}.{name}" not in ids]
    assert not missing, missing


def test_the_seed_pages_are_linked_from_the_events_page(site):
    events = parse(site / "events.html").refs
    for page in ("robust-callbacks.html", "state-and-waiting.html", "reference.html",
                 "troubleshooting.html", "message-routing.html"):
        assert any(ref.split("#")[0] == page for ref in events), page


@pytest.mark.parametrize("name", [*TUTORIALS, "troubleshooting"])
def test_executed_output_is_in_the_page(site, name):
    page = site / ("tutorials" if name in TUTORIALS else "") / f"{name}.html"
    html = page.read_text(encoding="utf-8")
    assert not ERROR_OUTPUT.search(html)
    text = unescape(html)   # Pygments releases differ in which characters they escape
    for pattern in EXECUTED_OUTPUT[name]:
        assert re.search(pattern, text), f"{name}: no output matching {pattern!r}"


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_pages_hold_pictures_of_the_viewer(site, name):
    from PIL import Image

    page = site / "tutorials" / f"{name}.html"
    images = [src for src in parse(page).images if src.endswith(".png")]
    assert len(images) == PICTURES[name]
    for src in images:
        picture = Image.open(page.parent / src).convert("RGB")
        assert picture.size == VIEWPORT
        pixels = np.asarray(picture)
        plot = pixels[80:, :720].reshape(-1, 3).astype(np.uint32)   # the canvas: below the
        packed = (plot[:, 0] << 16) | (plot[:, 1] << 8) | plot[:, 2]  # toolbar, left of panels
        colours, counts = np.unique(packed, return_counts=True)
        assert counts.max() / len(plot) < 0.97, f"{src}: the plot is blank"
        assert len(colours) > 30, f"{src}: too few colours for drawn cells"
