"""Compare two groups of cells: marker genes ranked by a Wilcoxon rank-sum or Welch t-test.

`rank_genes` is the entry point; it reads the matrix in blocks of genes through a column block
source (`matrix`), so the matrix is never densified whole. Results match scanpy's
``rank_genes_groups`` for one group against a reference, to float32 precision.
`dataset_source` streams an opened dataset's matrix that way (`sources`), `choose_matrix` picks
the matrix scanpy would (``.raw`` when there is one: `matrices`); `gene_summary` and
`violin_values` summarise a few genes per group of cells for dot plots and violins
(`gene_plots`).
A dask-backed matrix is reduced by dask tasks on the active scheduler (`daskstats`).
"""

from ..data.blocks import (ColumnBlockSource, ColumnFunctionSource, ColumnStoreSource,
                           DenseSource, SparseSource)
from .daskstats import DaskSource
from .gene_plots import MAX_GENES, gene_summary, violin_values
from .groups import REST, Comparison, resolve_comparison
from .matrices import MatrixChoice, choose_matrix
from .rank import COLUMNS, METHODS, NegativeValuesWarning, Ranking, compute_ranking, rank_genes
from .sources import as_block_source, dataset_source

__all__ = [
    "COLUMNS",
    "MAX_GENES",
    "METHODS",
    "REST",
    "ColumnBlockSource",
    "ColumnFunctionSource",
    "ColumnStoreSource",
    "Comparison",
    "DaskSource",
    "DenseSource",
    "MatrixChoice",
    "NegativeValuesWarning",
    "Ranking",
    "SparseSource",
    "as_block_source",
    "choose_matrix",
    "compute_ranking",
    "dataset_source",
    "gene_summary",
    "rank_genes",
    "resolve_comparison",
    "violin_values",
]
