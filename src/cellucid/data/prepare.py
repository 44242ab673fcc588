"""Writing the export directory (placeholder until the writer lands)."""

from __future__ import annotations


def prepare(adata_or_path, out_dir, *, float32=False, chunk_cells=None, progress=True):
    """Write ``adata_or_path`` as an export directory at ``out_dir`` (not yet implemented)."""
    raise NotImplementedError("prepare is not implemented yet")
