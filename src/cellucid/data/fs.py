"""Remote storage through fsspec: opening a URL's filesystem and turning its errors into ours.

fsspec (and s3fs, gcsfs, aiohttp for HTTP) are the optional ``remote`` extra; a URL without them
is a clear ``ImportError`` naming ``pip install 'cellucid[remote]'``. Credentials come from where
each backend looks (environment variables, ``~/.aws``, gcloud's files) or from
``storage_options``; they are never part of a message (see :mod:`cellucid.data.urls`).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ..errors import DatasetError
from .urls import protocol_of, redact_url, scrub, secrets_of

INSTALL_HINT = "pip install 'cellucid[remote]'"
READ_ONLY_PROTOCOLS = ("http", "https")
DENIED_STATUS = (401, 403)
NOT_FOUND_STATUS = (404, 410)
RANGE_STATUS = 416


class RemoteError(DatasetError):
    """Remote storage that cannot be read: unreachable, refusing, or holding damaged data."""


class TruncatedError(RemoteError):
    """A remote object shorter than the export says it is."""


def require_fsspec(url: str):
    """Import fsspec, or raise ``ImportError`` saying how to install the remote extra."""
    try:
        import fsspec
    except ImportError:
        raise ImportError(f"opening {redact_url(url)} needs fsspec: {INSTALL_HINT}") from None
    return fsspec


class Location:
    """A directory at a URL: its fsspec filesystem, its path there, and how to name it safely."""

    def __init__(self, url: str, storage_options: dict | None = None) -> None:
        fsspec = require_fsspec(url)
        self.url = url.rstrip("/")
        self.protocol = protocol_of(url)
        self.display = redact_url(self.url)
        self.secrets = secrets_of(url, storage_options)
        self.storage_options = dict(storage_options or {})
        try:
            self.fs, path = fsspec.core.url_to_fs(self.url, **(storage_options or {}))
        except ImportError as exc:   # fsspec knows the protocol but its backend is missing
            raise ImportError(f"opening {self.display} needs a package that is not installed "
                              f"({self.scrub(exc)}): {INSTALL_HINT}") from None
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"cannot open {self.display}: {self.scrub(exc)}") from None
        self.root = path.rstrip("/")
        self._query = urlsplit(self.url).query if self.protocol in READ_ONLY_PROTOCOLS else ""
        # the root without an HTTP query string: what its name ends with (".zarr", ".h5ad")
        self.bare = urlunsplit(urlsplit(self.root)._replace(query="")) if self._query \
            else self.root

    @property
    def writable(self) -> bool:
        """Whether files can be written there (HTTP is read-only)."""
        return self.protocol not in READ_ONLY_PROTOCOLS

    def path(self, rel: str = "") -> str:
        """The filesystem path of ``rel`` under this directory (an HTTP URL keeps its query)."""
        if not rel:
            return self.root
        if self._query:   # https://host/x.cellucid?token=… → https://host/x.cellucid/rel?token=…
            parts = urlsplit(self.root)
            return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + rel))
        return f"{self.root}/{rel}"

    def name(self, rel: str = "") -> str:
        """``rel`` under this directory as a URL without secrets, for messages."""
        return f"{self.display}/{rel}" if rel else self.display

    def scrub(self, exc) -> str:
        """The text of ``exc`` with URLs redacted and this location's secrets hidden."""
        return scrub(str(exc) or type(exc).__name__, self.secrets)

    def error(self, exc: BaseException, rel: str = "", *, opening: bool = False) -> Exception:
        """The exception to raise for ``exc``, raised by fsspec while reading ``rel``.

        While ``opening``, a missing object is ``FileNotFoundError`` and a refusal is
        ``PermissionError``; once open, every failure is a `RemoteError` (a ``DatasetError``) so
        that a request of the page that needed it gets a 4xx reply, not a 5xx. Each message names
        the URL without secrets.
        """
        where = self.name(rel)
        status = _status_of(exc)
        if isinstance(exc, FileNotFoundError) or status in NOT_FOUND_STATUS:
            message = f"{where} does not exist"
            return FileNotFoundError(message) if opening else RemoteError(
                f"{message} (it was there when the data was opened, or the export is incomplete)")
        if isinstance(exc, PermissionError) or status in DENIED_STATUS:
            message = (f"access to {where} was refused ({self.scrub(exc)}); check the credentials "
                       "(environment variables, ~/.aws, storage_options=)")
            return PermissionError(message) if opening else RemoteError(message)
        if status == RANGE_STATUS:
            return TruncatedError(f"{where} is shorter than the export says (truncated upload?); "
                                  "write the export again with `cellucid prepare`")
        if _is_connection_error(exc):
            return RemoteError(f"cannot reach {where} ({self.scrub(exc)}); check the URL and the "
                               "network")
        return RemoteError(f"cannot read {where}: {type(exc).__name__}: {self.scrub(exc)}")


def _status_of(exc: BaseException) -> int | None:
    """The HTTP status an fsspec backend's exception carries, if any."""
    for attr in ("status", "status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    response = getattr(exc, "response", None)   # botocore's ClientError
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status if isinstance(status, int) else None
    text = str(exc)
    if "not satisfiable" in text.lower() or "InvalidRange" in text:
        return RANGE_STATUS
    return None


def _is_connection_error(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectionError", "ClientConnectorError", "ClientConnectionError",
                         "ServerDisconnectedError", "TimeoutError", "EndpointConnectionError",
                         "ConnectTimeoutError", "gaierror"})
