"""Sphinx configuration of the cellucid documentation (MyST pages, executed MyST-NB tutorials).

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``. The tutorials run when
the site builds; their viewer pictures are taken by headless Chromium (``docs/tutorials/viewer_page.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The package from this checkout, for autodoc and for the kernels that run the executed pages;
# for those kernels also the page driver (docs/tutorials/viewer_page.py) and the repository root,
# so the build-time helpers reach the test suite's browser and static file server
# (``tests.browser``, ``tests.range_server``).
sys.path.insert(0, str(ROOT / "src"))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT / "src"), str(DOCS / "tutorials"), str(ROOT),
                os.environ.get("PYTHONPATH")) if p)
# Tells the tutorials' page driver that the build, not a person, drives the viewer.
os.environ["CELLUCID_DOCS_BUILD"] = "1"

import cellucid  # noqa: E402

project = "cellucid"
author = "the cellucid developers"
copyright = "the cellucid developers"
release = cellucid.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
]

exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "_ext", "README.md"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# MyST: ``[text](events.md#size-limits)`` links, ``{ref}`` targets, definition lists.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Tutorials are executed on every build; an error in one fails the build, and anything a cell
# writes to stderr is a warning (an error under -W).
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_output_stderr = "warn"
nb_merge_streams = True

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = True

# No network at build time: intersphinx would fetch inventories. Keep the mapping empty.
intersphinx_mapping: dict = {}

html_theme = "sphinx_book_theme"
html_title = f"cellucid {release}"
html_static_path = []
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
}
