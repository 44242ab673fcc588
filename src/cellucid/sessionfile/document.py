"""The ``.cellucid-session`` file as JSON: its kind marker and version, reading with a clear
refusal for anything that is not a session this cellucid can read, and writing.

A session file is one JSON object whose ``"format"`` is ``"cellucid-session"`` and whose
``"version"`` is an integer; `VERSION` is the one this cellucid writes, and it reads every
version up to it. What the fields mean is `bundle.SessionBundle` (and docs/sessions.md).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

KIND = "cellucid-session"
VERSION = 2
SUFFIX = ".cellucid-session"
MAX_SESSION_BYTES = 256 << 20


def parse_document(raw: bytes | str, source: str = "the session") -> dict:
    """The JSON object of a session file's bytes, its kind and version checked.

    ``source`` names it in messages (a path, "the uploaded file"). Raises `ValueError` saying
    what is wrong: not UTF-8 or not JSON (a truncated or corrupt file), not a JSON object, not a
    cellucid session (no ``"format": "cellucid-session"``), a version this cellucid cannot read.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{source} is not a cellucid session: it is not UTF-8 text (a "
                             f"binary file, or a corrupt one)") from None
    try:
        doc = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"{source} is not a cellucid session: its JSON nests too deeply"
                         ) from None
    except ValueError as exc:
        where = "ends too early: it is truncated" if _ends_early(raw, exc) else "is corrupt"
        raise ValueError(f"{source} is not valid JSON ({exc}); the file {where} — save the "
                         f"session again") from None
    return check_kind(doc, source)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _ends_early(text: str, exc: ValueError) -> bool:
    # A cut file fails at its very end, or on a string left open.
    position, message = getattr(exc, "pos", None), getattr(exc, "msg", "")
    if not text.strip() or position is None:
        return False
    return position >= len(text.rstrip()) - 1 or message.startswith("Unterminated string")


def check_kind(doc: object, source: str = "the session") -> dict:
    """``doc`` itself when it is a session object of a readable version; `ValueError` else."""
    if not isinstance(doc, dict):
        raise ValueError(f"{source} is not a cellucid session: it holds a JSON "
                         f"{type(doc).__name__}, not an object with \"format\": \"{KIND}\"")
    kind = doc.get("format")
    if kind != KIND:
        found = f"its \"format\" is {str(kind)[:60]!r}" if "format" in doc else \
            f"it has no \"format\" field (its fields: {', '.join(list(doc)[:8]) or 'none'})"
        raise ValueError(f"{source} is not a cellucid session: {found}; a session file has "
                         f"\"format\": \"{KIND}\"")
    version = doc.get("version")
    if type(version) is not int or version < 1:
        raise ValueError(f"{source} has a bad session format version {str(version)[:40]!r}: "
                         f"it must be a positive integer")
    if version > VERSION:
        raise ValueError(f"{source} was written by a newer cellucid (session format version "
                         f"{version}; this cellucid reads versions up to {VERSION}): upgrade "
                         f"cellucid (pip install -U cellucid) to open it")
    return doc


def read_document(path: str | os.PathLike) -> dict:
    """Read and check the session file at ``path`` (see `parse_document`).

    Raises `FileNotFoundError` for a missing file, `ValueError` for one that is not a readable
    session (also one over 256 MiB).
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_SESSION_BYTES:
        raise ValueError(f"{path} is {size >> 20} MiB: a session file is at most "
                         f"{MAX_SESSION_BYTES >> 20} MiB, so this is not one")
    return parse_document(path.read_bytes(), str(path))


def dump_document(doc: dict) -> bytes:
    """The bytes of a session file holding ``doc`` (compact UTF-8 JSON; NaN is refused)."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")
                      ).encode("utf-8")


def write_document(doc: dict, path: str | os.PathLike) -> Path:
    """Write ``doc`` to ``path`` whole or not at all (a temporary file renamed over it)."""
    path = Path(path)
    data = dump_document(doc)
    fd, name = tempfile.mkstemp(prefix=".cellucid-", suffix=SUFFIX, dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return path
