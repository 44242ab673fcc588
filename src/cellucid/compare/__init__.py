"""Compare two groups of cells: marker genes ranked by a Wilcoxon rank-sum or Welch t-test.

`rank_genes` is the entry point; it reads the matrix in blocks of genes through a column block
source (`matrix`), so the matrix is never densified whole. Results match scanpy's
``rank_genes_groups`` for one group against a reference, to float32 precision.
"""

from .groups import REST, Comparison, resolve_comparison
from .matrix import (
    ColumnBlockSource,
    ColumnFunctionSource,
    DenseSource,
    SparseSource,
    as_block_source,
)
from .rank import COLUMNS, METHODS, rank_genes

__all__ = [
    "COLUMNS",
    "METHODS",
    "REST",
    "ColumnBlockSource",
    "ColumnFunctionSource",
    "Comparison",
    "DenseSource",
    "SparseSource",
    "as_block_source",
    "rank_genes",
    "resolve_comparison",
]
