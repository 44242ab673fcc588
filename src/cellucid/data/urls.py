"""URLs of remote data: telling them from paths, and naming them without their secrets.

A URL may carry credentials (``https://user:password@host/…``, ``…?token=…``, a presigned S3
query). Every message cellucid writes names a URL through :func:`redact_url` / :func:`redact`,
which drop the ``user:password@`` part and the query string, and through :func:`scrub`, which also
hides any secret value handed in ``storage_options``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

# A scheme of two or more letters: "C://" stays a Windows path. "simplecache::s3://…" (fsspec
# chaining) is a URL too.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+(://|::)")
_URL_IN_TEXT = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/\s@'\"<>]*@)?"
    r"(?P<rest>[^\s'\"<>?#]*)(?P<query>\?[^\s'\"<>#]*)?(?P<fragment>#[^\s'\"<>]*)?")
_SECRET_KEYS = ("key", "secret", "token", "password", "passwd", "credential", "auth", "sig",
                "signature")
MIN_SECRET_CHARS = 4


def is_url(data) -> bool:
    """Whether ``data`` is a URL string (``s3://``, ``https://``, ``file://``, fsspec chains)."""
    return isinstance(data, str) and bool(_SCHEME.match(data))


def protocol_of(url: str) -> str:
    """The protocol of ``url`` (``"s3"``, ``"https"``; the outermost one of a chain)."""
    return re.split(r"://|::", url, maxsplit=1)[0].lower()


def local_path_of(url: str) -> str | None:
    """The local path of a ``file://`` URL, else None."""
    if protocol_of(url) != "file":
        return None
    parts = urlsplit(url)
    return url2pathname(unquote(parts.netloc + parts.path)) if os.name == "nt" else \
        unquote(parts.path)


def redact_url(url: str) -> str:
    """``url`` without ``user:password@`` and without its query string and fragment."""
    return _URL_IN_TEXT.sub(lambda m: m["scheme"] + m["rest"], str(url))


def redact(text: str) -> str:
    """``text`` with every URL in it redacted (see :func:`redact_url`)."""
    return _URL_IN_TEXT.sub(lambda m: m["scheme"] + m["rest"], str(text))


def secrets_of(url: str, storage_options: dict | None) -> list[str]:
    """Values to hide from messages: the URL's password and query values, and every string in
    ``storage_options`` under a key that names a credential (key, secret, token, password…)."""
    found: list[str] = []
    for m in _URL_IN_TEXT.finditer(str(url)):
        if m["userinfo"]:
            found += [unquote(p) for p in m["userinfo"][:-1].split(":")]
        if m["query"]:
            for pair in m["query"][1:].split("&"):
                found.append(unquote(pair.partition("=")[2]))

    def walk(value, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and any(s in key.lower() for s in _SECRET_KEYS):
            found.append(value)
    walk(storage_options or {})
    return sorted({s for s in found if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)


def scrub(text: str, secrets: list[str] = ()) -> str:
    """``text`` with URLs redacted and each of ``secrets`` replaced by ``***``."""
    text = redact(text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
