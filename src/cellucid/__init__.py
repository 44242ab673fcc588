"""cellucid: an interactive WebGL single-cell viewer for notebooks and browsers, wired to Python."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import CommandError, DatasetError, ViewerStopped

__all__ = ["CommandError", "DatasetError", "ViewerStopped", "__version__"]
