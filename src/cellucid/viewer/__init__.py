"""The viewer: `Viewer`, the Python handle of one view, a facade over its session."""

from .facade import Viewer

__all__ = ["Viewer"]
