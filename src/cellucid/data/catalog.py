"""The names a :class:`~cellucid.data.Dataset` offers (obs columns, embeddings), each with a version.

A catalog answers which obs columns and embeddings exist, their :class:`ObsField` /
:class:`Embedding` records and versions, and a ``revision`` that grows whenever any of that
changes. :class:`StaticCatalog` serves data that cannot change (files, export directories):
every version is 1 and the revision stays 1. :class:`cellucid.data.live.LiveCatalog` follows an
in-memory AnnData as the user edits it.
"""

from __future__ import annotations

from typing import NamedTuple

from .embeddings import Embedding
from .names import UnknownName
from .obs import ObsField

FIRST_VERSION = 1
FIRST_REVISION = 1


class Snapshot(NamedTuple):
    """Everything the manifest lists, read at one moment: ``(item, version)`` pairs in order."""

    revision: int
    obs: list[tuple[ObsField, int]]
    embeddings: list[tuple[Embedding, int]]
    skipped_embeddings: list[dict]


def obs_entry_json(field: ObsField, version: int) -> dict:
    """The manifest entry of an obs column of the dataset at ``version``."""
    return {**field.describe(), "version": int(version), "title": field.name, "source": "obs"}


def embedding_entry_json(embedding: Embedding, version: int) -> dict:
    """The manifest entry of an embedding of the dataset at ``version`` (``source``: obsm key)."""
    return {**embedding.describe(), "version": int(version), "title": embedding.name}


class StaticCatalog:
    """The names of data that never changes: all at version 1, revision 1."""

    live = False

    def __init__(self, embeddings: list[Embedding], skipped_embeddings: list[dict],
                 obs: list[ObsField]) -> None:
        self._embeddings = {e.name: e for e in embeddings}
        self._skipped = list(skipped_embeddings)
        self._obs = {f.name: f for f in obs}

    @property
    def revision(self) -> int:
        """Always 1: nothing changes."""
        return FIRST_REVISION

    def obs_names(self) -> list[str]:
        """Names of every obs column, in manifest order."""
        return list(self._obs)

    def embedding_names(self) -> list[str]:
        """Names of the drawable embeddings, in manifest order."""
        return list(self._embeddings)

    def obs_entry(self, name: str, *, deep: bool = False) -> tuple[ObsField, int]:
        """``(field, version)`` of obs column ``name``; `UnknownName` if there is none.

        ``deep`` (compare the bytes too) changes nothing: static data cannot have been edited.
        """
        try:
            return self._obs[name], FIRST_VERSION
        except KeyError:
            raise UnknownName("obs column", name, list(self._obs)) from None

    def embedding_entry(self, name: str, *, deep: bool = False) -> tuple[Embedding, int]:
        """``(embedding, version)`` of ``name``; `UnknownName` if there is none (``deep``: as for
        :meth:`obs_entry`)."""
        try:
            return self._embeddings[name], FIRST_VERSION
        except KeyError:
            raise UnknownName("embedding", name, list(self._embeddings)) from None

    def snapshot(self) -> Snapshot:
        """The whole catalog (always the same)."""
        return Snapshot(FIRST_REVISION, [(f, FIRST_VERSION) for f in self._obs.values()],
                        [(e, FIRST_VERSION) for e in self._embeddings.values()],
                        list(self._skipped))
