"""Which expression matrix a comparison or a gene plot reads: scanpy's ``use_raw`` and ``layer``.

scanpy's ``rank_genes_groups`` and ``pl.dotplot`` read ``adata.raw`` when the AnnData has one and
no layer is named (``use_raw=None``), ``X`` with ``use_raw=False``, a layer with ``layer=`` (and
refuse ``use_raw=True`` with a layer). `choose_matrix` applies the same rules to any dataset: an
AnnData, a backed ``.h5ad``, a ``.zarr`` store or an export (which keeps ``.raw``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data.layers import RAW


@dataclass(frozen=True)
class MatrixChoice:
    """A dataset's matrix: ``key`` is ``"X"``, a layer's name, or `RAW` for ``.raw``."""

    key: str

    @property
    def label(self) -> str:
        """How the user names it: ``.raw``, ``X`` or ``layer 'counts'``."""
        if self.key == RAW:
            return ".raw"
        return "X" if self.key == "X" else f"layer {self.key!r}"

    def describe(self) -> dict:
        """``{"key", "label"}``, as the page reads it."""
        return {"key": self.key, "label": self.label}


def choose_matrix(dataset, use_raw: bool | None = None, layer: str | None = None
                  ) -> MatrixChoice:
    """The matrix scanpy would read for ``use_raw`` and ``layer`` in ``dataset``.

    ``layer`` wins (with ``use_raw`` None or False); else ``use_raw=None`` means ``.raw`` when
    the dataset has one; ``use_raw=False`` (or no ``.raw``) means the dataset's default layer
    (``X`` unless it was opened with ``layer=``).

    Raises ``ValueError`` for ``use_raw=True`` with a layer or without a ``.raw`` and a matrix
    without genes, `~cellucid.data.layers.UnknownLayer` (a ``KeyError`` and a ``ValueError``)
    naming the dataset's layers for an unknown layer.
    """
    if use_raw not in (None, True, False):
        raise ValueError(f"use_raw must be None, True or False, got {use_raw!r}")
    if layer is not None:
        if use_raw:
            raise ValueError(f"use_raw=True and layer={layer!r} name two matrices: pass one "
                             f"(scanpy refuses this too)")
        return checked_matrix(dataset, layer)
    if use_raw is None:
        use_raw = dataset.has_raw
    if use_raw:
        if not dataset.has_raw:
            raise ValueError("use_raw=True, but this dataset has no .raw: leave use_raw unset to "
                             "read X, or name a layer")
        return checked_matrix(dataset, RAW)
    return checked_matrix(dataset, dataset.default_layer)


def checked_matrix(dataset, key: str | None) -> MatrixChoice:
    """``key`` (default: the dataset's default layer) as a `MatrixChoice`, checked.

    Raises `~cellucid.data.layers.UnknownLayer` naming the dataset's layers for an unknown
    layer, or `RAW` without a ``.raw``; ``ValueError`` for a matrix without genes.
    """
    choice = MatrixChoice(dataset.check_layer(key))
    if len(dataset.genes_of(choice.key)) == 0:
        raise ValueError(f"{choice.label} has no genes: there is nothing to compare")
    return choice
