"""Colours as cellucid sends them to the page: lower-case ``#rrggbb`` strings."""

from __future__ import annotations

import re

_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_HEX_ALPHA = re.compile(r"^#[0-9a-fA-F]{8}$")


def parse_hex_color(color: object, *, allow_alpha: bool = False) -> str | None:
    """``#rgb``/``#rrggbb`` (and ``#rrggbbaa`` with ``allow_alpha``, alpha dropped) → lower-case
    ``#rrggbb``; None for anything else."""
    if not isinstance(color, str):
        return None
    if allow_alpha and _HEX_ALPHA.match(color):
        return color[:7].lower()
    if not _HEX_COLOR.match(color):
        return None
    if len(color) == 4:
        color = "#" + "".join(c * 2 for c in color[1:])
    return color.lower()


def normalize_color(color: object) -> str:
    """``#rgb``/``#rrggbb`` → lower-case ``#rrggbb``; raises `ValueError` for anything else."""
    parsed = parse_hex_color(color)
    if parsed is None:
        raise ValueError(f"colour must be a hex string like '#ff0000' or '#f00', got {color!r}")
    return parsed
