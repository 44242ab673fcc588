"""The dataset layer: open AnnData / ``.h5ad`` / ``.zarr`` / export directories as a :class:`Dataset`."""

from __future__ import annotations

from .dataset import Dataset
from .open import open_dataset
from .prepare import prepare

__all__ = ["Dataset", "open_dataset", "prepare"]
