"""Saved views: the ``.cellucid-session`` format (`document`, `sections`, `arrays`), the
`SessionBundle` it reads into (`bundle`), which cells it speaks of (`identity`) and planning a
restore onto some data (`restore`). A library: it knows datasets, never a viewer (a viewer's
`session.keeper.SessionKeeper` saves and restores its views). docs/sessions.md says what a
session holds.
"""

from __future__ import annotations

from .bundle import HighlightGroup, SessionBundle, as_bundle
from .document import KIND, SUFFIX, VERSION
from .identity import SessionMismatch
from .restore import SessionReport, SessionWarning

__all__ = ["KIND", "SUFFIX", "VERSION", "HighlightGroup", "SessionBundle", "SessionMismatch",
           "SessionReport", "SessionWarning", "as_bundle"]
