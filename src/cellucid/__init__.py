"""cellucid: an interactive WebGL single-cell viewer for notebooks and browsers, wired to Python."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import serve, show, show_anndata
from .data import prepare
from .errors import CommandError, DatasetError, ViewerStopped
from .session import HighlightGroup, SessionBundle
from .viewer import Viewer

__all__ = [
    "CommandError", "DatasetError", "HighlightGroup", "SessionBundle", "Viewer", "ViewerStopped",
    "__version__", "prepare", "serve", "show", "show_anndata",
]
