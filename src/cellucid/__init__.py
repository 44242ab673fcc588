"""cellucid: an interactive WebGL single-cell viewer for notebooks and browsers, wired to Python."""

from __future__ import annotations

from ._version import __version__
from .api import serve, show, show_anndata
from .data import prepare
from .errors import CommandError, DatasetError, ViewerStopped
from .selection.sequence import CellSequence, json_default
from .sessionfile import (HighlightGroup, SessionBundle, SessionMismatch, SessionReport,
                          SessionWarning)
from .viewer.facade import Viewer

__all__ = [
    "CellSequence", "CommandError", "DatasetError", "HighlightGroup", "SessionBundle",
    "SessionMismatch", "SessionReport", "SessionWarning", "Viewer", "ViewerStopped",
    "__version__", "json_default", "prepare", "serve", "show", "show_anndata",
]
