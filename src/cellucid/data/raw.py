"""What scanpy reads by default besides ``X``: the genes of ``.raw`` and the log1p base.

scanpy compares and plots ``adata.raw`` when there is one (``use_raw=None``), and back-transforms
log1p values with the base recorded by ``sc.pp.log1p`` in ``uns["log1p"]["base"]`` (None or
absent: the natural log). These read both from an AnnData in memory or from an h5py/zarr store
without loading any matrix.
"""

from __future__ import annotations

import numpy as np

from .genes import GeneIndex, gene_index


def raw_gene_index(var, gene_symbols: str | None) -> GeneIndex:
    """The genes of ``.raw`` from its ``var``: symbols from ``gene_symbols`` when ``.raw``'s var
    has that column (scanpy keeps only the var names of ``.raw`` in many files)."""
    symbols = gene_symbols if gene_symbols is not None and gene_symbols in var.columns else None
    return gene_index(var, var.index, symbols)


def anndata_raw_genes(adata, gene_symbols: str | None) -> GeneIndex | None:
    """The genes of ``adata.raw``, or None when it has none."""
    raw = adata.raw
    return None if raw is None else raw_gene_index(raw.var, gene_symbols)


def store_raw_genes(root, gene_symbols: str | None) -> GeneIndex | None:
    """The genes of the ``raw`` group of an h5py/zarr AnnData store (reads ``raw/var`` only),
    or None when it has no ``raw/X``."""
    if "raw" not in root or "X" not in root["raw"] or "var" not in root["raw"]:
        return None
    from anndata.io import read_elem   # late: importing cellucid does not load anndata
    return raw_gene_index(read_elem(root["raw"]["var"]), gene_symbols)


def log1p_base_of(log1p) -> float | None:
    """The base in ``uns["log1p"]`` (a mapping, or None), as a float; None for the natural log.

    A base that is not a positive number other than 1 is ignored (None), as if not recorded.
    """
    if log1p is None or not hasattr(log1p, "get"):
        return None
    base = log1p.get("base")
    if isinstance(base, np.ndarray):
        base = base.item() if base.size == 1 else None
    try:
        value = float(base)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) and value > 0 and value != 1 else None


def store_log1p_base(root) -> float | None:
    """``uns["log1p"]["base"]`` of an h5py/zarr AnnData store (None when absent)."""
    try:
        node = root["uns"]["log1p"]
    except KeyError:
        return None
    from anndata.io import read_elem   # late, as above
    try:
        return log1p_base_of(read_elem(node))
    except Exception:   # noqa: BLE001 — an unreadable entry is as good as none
        return None
