"""Reading an export directory (placeholder until the format lands)."""

from __future__ import annotations

from pathlib import Path


def is_export_dir(path: Path) -> bool:
    """Whether ``path`` looks like a cellucid export directory (it has ``manifest.json``)."""
    return (Path(path) / "manifest.json").exists()


def open_export(path, **options):
    """Open an export directory."""
    raise NotImplementedError
