"""Saved views: the ``.cellucid-session`` format (`document`, `sections`, `arrays`), the
`SessionBundle` it reads into (`bundle`), which cells it speaks of (`identity`), planning a
restore (`restore`) and saving and restoring one viewer's views (`keeper`). docs/sessions.md
says what a session holds.
"""

from __future__ import annotations

from .bundle import HighlightGroup, SessionBundle
from .document import KIND, SUFFIX, VERSION
from .identity import SessionMismatch
from .keeper import SessionKeeper, SessionWarning
from .restore import SessionReport

__all__ = ["KIND", "SUFFIX", "VERSION", "HighlightGroup", "SessionBundle", "SessionKeeper",
           "SessionMismatch", "SessionReport", "SessionWarning"]
