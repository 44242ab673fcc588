"""One dataset's selections resolved over every cell: the kernel side of a lasso drawn on a
page that shows only a sample of the cells.

:class:`CellSelector` picks, per embedding, how to reach the cells' coordinates: the stored tiles
of a tiled export (only the tiles a selection's edge crosses are read), the tiles of an order
computed in memory for the embedding it was made in, or the embedding's coordinates in obs order
(every cell tested, in ranges on several threads). Each selection returns a bool mask in obs
order; :func:`cellucid.cells.encode_mask` turns it into the wire's bitmask, and
:func:`cellucid.selection.sequence.event_cells` into an event's ``cells``.
"""

from __future__ import annotations

import numpy as np

from .lasso import polygon_mask, radius_mask, screen_polygon_mask
from .sources import CellPositions, TiledCells


class CellSelector:
    """Exact selections over every cell of ``dataset``; ``tiles`` is its
    :class:`~cellucid.data.tile_reader.TileReader` when it has one (default: the dataset's
    stored tiles, if any)."""

    def __init__(self, dataset, tiles=None) -> None:
        self.dataset = dataset
        self.tiles = tiles if tiles is not None else getattr(dataset, "lod", None)

    def cells(self, embedding: str):
        """How selections reach the cells of ``embedding``: a
        :class:`~cellucid.selection.sources.TiledCells` or a
        :class:`~cellucid.selection.sources.CellPositions`. ``KeyError`` when unknown."""
        tiles = self.tiles
        stored = tiles is not None and tiles is getattr(self.dataset, "lod", None)
        own = tiles is not None and getattr(getattr(tiles, "lod", None), "embedding",
                                            None) == embedding
        if stored or own:
            self.dataset.embedding_info(embedding)   # KeyError naming the close names
            lo, hi = tiles.bounds(embedding)
            coords = None if stored else self.dataset.embedding(embedding)
            return TiledCells(tiles.tiles.starts, lo, hi,
                              lambda a, b: tiles.position_range(embedding, a, b), tiles.rows,
                              tiles.invalid(embedding), coords)
        return CellPositions(self.dataset.embedding(embedding))

    def lasso(self, embedding: str, polygon, *, within=None) -> np.ndarray:
        """Cells of 2-D ``embedding`` inside ``polygon`` (data coordinates); see
        :func:`~cellucid.selection.lasso.polygon_mask` for what it raises."""
        return polygon_mask(self.cells(embedding), polygon, within=within)

    def screen_lasso(self, embedding: str, polygon, view_projection, width, height, *,
                     within=None) -> np.ndarray:
        """Cells of 3-D ``embedding`` whose projection is inside the screen ``polygon``; see
        :func:`~cellucid.selection.lasso.screen_polygon_mask`."""
        return screen_polygon_mask(self.cells(embedding), polygon, view_projection, width,
                                   height, within=within)

    def radius(self, embedding: str, center, radius: float, *, within=None) -> np.ndarray:
        """Cells within ``radius`` of ``center`` in ``embedding``; see
        :func:`~cellucid.selection.lasso.radius_mask`."""
        return radius_mask(self.cells(embedding), center, radius, within=within)

    def knn(self, seed: int, hops: int) -> np.ndarray:
        """Cells within ``hops`` graph hops of ``seed`` (seed included), as a mask. Raises what
        :meth:`cellucid.data.Dataset.knn_search` raises."""
        seed, hops = int(seed), int(hops)
        if not 0 <= seed < self.dataset.n_cells:
            raise IndexError(f"seed cell {seed} is outside [0, {self.dataset.n_cells})")
        if hops < 0:
            raise ValueError(f"hops must be ≥ 0, got {hops}")
        return self.dataset.graph().hops_mask(seed, hops)[0]
