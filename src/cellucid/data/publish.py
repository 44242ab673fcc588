"""``prepare`` with a URL: write the export locally, then upload it with fsspec.

The export is written to a temporary directory (under ``$TMPDIR``) by the ordinary ``prepare``,
then every file is uploaded, ``manifest.json`` last: an interrupted upload leaves no manifest, so
nothing opens a half-written export. Before the long part, one tiny object is written and removed
to check that the destination exists and the credentials allow writing.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from ..errors import DatasetError
from .export import MANIFEST
from .fs import Location
from .urls import is_url, local_path_of

PROBE = ".cellucid-write-probe"
OBJECT_STORES = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss")


def _check_writable(location: Location, overwrite: bool) -> None:
    if not location.writable:
        raise DatasetError(f"{location.display} is read-only ({location.protocol}); prepare to "
                           "a local directory, s3://, gs:// or another writable fsspec URL")
    fs = location.fs
    try:
        existing = fs.ls(location.root, detail=False) if fs.exists(location.root) else []
    except FileNotFoundError:
        existing = []
    except Exception as exc:   # noqa: BLE001 — every backend has its own exception types
        raise location.error(exc, opening=True) from None
    if existing and not overwrite:
        raise FileExistsError(f"{location.display} exists and is not empty; choose another URL "
                              "or pass overwrite=True (--overwrite)")
    probe = location.path(f"{PROBE}-{uuid.uuid4().hex[:8]}")
    try:
        fs.pipe_file(probe, b"")
        fs.rm_file(probe)
    except Exception as exc:   # noqa: BLE001
        raise location.error(exc, opening=True) from None


def upload_export(local: Path, location: Location, *, overwrite: bool) -> None:
    """Upload the export directory ``local`` to ``location``, ``manifest.json`` last.

    An existing export there is removed first when ``overwrite``. Raises ``FileNotFoundError`` /
    ``PermissionError`` / `RemoteError` naming the URL without secrets.
    """
    fs = location.fs
    files = sorted(p for p in Path(local).rglob("*") if p.is_file())
    body = [p for p in files if p.relative_to(local).as_posix() != MANIFEST]
    remote = [location.path(p.relative_to(local).as_posix()) for p in body]
    try:
        if overwrite and fs.exists(location.root):
            fs.rm(location.root, recursive=True)
        if location.protocol not in OBJECT_STORES:   # buckets have no folders to make
            for parent in sorted({r.rsplit("/", 1)[0] for r in remote} | {location.root}):
                fs.makedirs(parent, exist_ok=True)
        if body:
            fs.put([str(p) for p in body], remote)
        fs.put_file(str(Path(local) / MANIFEST), location.path(MANIFEST))
        fs.invalidate_cache(location.root)
    except Exception as exc:   # noqa: BLE001
        raise location.error(exc, opening=True) from None


def _remote_input(data, storage_options):
    """A URL given as prepare's input: a local path for ``file://``, an in-memory AnnData for a
    remote ``.zarr`` store."""
    local = local_path_of(data)
    if local is not None:
        return local
    location = Location(data, storage_options)
    from .remote_zarr import open_zarr_group
    if location.bare.endswith(".zarr") or not _has_manifest(location):
        import anndata
        return anndata.read_zarr(open_zarr_group(location))
    raise DatasetError(f"{location.display} is already a cellucid export")


def _has_manifest(location: Location) -> bool:
    try:
        return bool(location.fs.exists(location.path(MANIFEST)))
    except Exception:   # noqa: BLE001
        return False


def prepare_with_urls(prepare, data, out, options: dict, *, overwrite: bool,
                      storage_options: dict | None):
    """Run ``prepare(data, out, **options)`` where ``data`` or ``out`` is a URL.

    A ``file://`` URL is its local path. A remote ``.zarr`` input is read into memory first. A
    remote ``out`` is written to a temporary directory, then uploaded (see module docstring);
    the URL is returned as given. Raises ``FileExistsError`` for a non-empty destination without
    ``overwrite``, ``DatasetError`` for an HTTP destination (read-only), and what
    ``prepare`` and the upload raise.
    """
    if is_url(data):
        data = _remote_input(data, storage_options)
    if not is_url(out) or local_path_of(out) is not None:
        local_out = local_path_of(out) if is_url(out) else out
        return prepare(data, local_out, overwrite=overwrite, **options)
    location = Location(out, storage_options)
    _check_writable(location, overwrite)
    tmp = Path(tempfile.mkdtemp(prefix="cellucid-prepare-"))
    try:
        written = prepare(data, tmp / "export", overwrite=True, **options)
        upload_export(Path(written), location, overwrite=overwrite)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out

