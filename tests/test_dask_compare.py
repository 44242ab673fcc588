"""Comparisons and gene summaries of a Dask-backed AnnData: dask tasks (on a Client when one is
active), memory bounded by the planned blocks, and the in-memory AnnData's results.

Tolerances: float32 (``rtol=1e-6``). The Wilcoxon pass reduces the same gene blocks as the
in-memory matrix (equal to float64 rounding); the t-test adds per-chunk sums, which only changes
the order of float64 additions.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from dask.distributed import get_task_stream

import cellucid
from cellucid.compare import DaskSource, dataset_source, gene_summary, rank_genes, violin_values
from cellucid.compare import daskstats
from cellucid.data import open_dataset
from cellucid.data.daskarrays import active_client

from .dask_data import (
    CHUNK,
    KINDS,
    N_CELLS,
    N_GENES,
    client,  # noqa: F401
    dask_adata,
    dask_array,
    largest_result,
    log_counts,
    memory_adata,
    task_names,
)
from .data_fixtures import isolated_cache  # noqa: F401
from .viewer_client import PageClient

FLOAT32 = dict(check_exact=False, rtol=1e-6, atol=0)
METHODS = ("wilcoxon", "t-test")
GENES = ["G3", "G0", "G120", "G299"]
GROUP = np.arange(N_CELLS // 5)                  # cluster A
REFERENCE = np.arange(N_CELLS // 2, N_CELLS)     # a subset of the rest


def ranked(dataset, method: str, reference="rest") -> pd.DataFrame:
    return rank_genes(dataset_source(dataset), GROUP, reference, method=method,
                      gene_names=np.asarray(dataset.genes.names, dtype=object))


@pytest.fixture(scope="module")
def expected():
    """The in-memory dataset, and its frames by (method, reference kind)."""
    dataset = open_dataset(memory_adata())
    frames = {(m, r): ranked(dataset, m, REFERENCE if r == "subset" else "rest")
              for m in METHODS for r in ("rest", "subset")}
    return dataset, frames


def codes_of(dataset) -> tuple[np.ndarray, list[str]]:
    field = dataset.obs_field("cluster")
    return dataset.obs_values("cluster"), field.info["categories"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", METHODS)
def test_rank_genes_without_a_client_equals_the_in_memory_frame(kind, method, expected,
                                                                 tmp_path):
    assert active_client() is None
    dataset = open_dataset(dask_adata(kind, tmp_path))
    assert isinstance(dataset_source(dataset), DaskSource)
    for reference in ("rest", "subset"):
        frame = ranked(dataset, method, REFERENCE if reference == "subset" else "rest")
        pd.testing.assert_frame_equal(frame, expected[1][method, reference], **FLOAT32)


@pytest.mark.parametrize("kind", ("sparse", "dense"))
def test_gene_summary_and_violins_without_a_client(kind, expected):
    reference, dataset = expected[0], open_dataset(dask_adata(kind))
    codes, categories = codes_of(dataset)
    pd.testing.assert_frame_equal(gene_summary(dataset, GENES, codes, categories),
                                  gene_summary(reference, GENES, codes, categories))
    assert_same_violins(violin_values(dataset, GENES, codes, categories),
                        violin_values(reference, GENES, codes, categories))


def assert_same_violins(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.drop(columns="values"), want.drop(columns="values"))
    for a, b in zip(got["values"], want["values"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", METHODS)
def test_rank_genes_runs_as_tasks_on_the_client(client, method, expected):  # noqa: F811
    dataset = open_dataset(dask_adata("sparse"))
    with get_task_stream(client) as stream:
        frame = ranked(dataset, method)
    names = task_names(stream.data)
    assert ("gene_block_statistics" if method == "wilcoxon" else "chunk_sums") in names
    pd.testing.assert_frame_equal(frame, expected[1][method, "rest"], **FLOAT32)


def test_gene_summary_runs_as_tasks_on_the_client(client, expected):  # noqa: F811
    reference, dataset = expected[0], open_dataset(dask_adata("dense"))
    codes, categories = codes_of(dataset)
    with get_task_stream(client) as stream:
        dots = gene_summary(dataset, GENES, codes, categories)
        violins = violin_values(dataset, GENES, codes, categories)
    assert "take_block_columns" in task_names(stream.data)
    # a task keeps the asked genes of its chunk only: CHUNK x (at most 4) float32
    assert largest_result(stream.data, "take_block_columns") <= CHUNK * len(GENES) * 4 + 1024
    pd.testing.assert_frame_equal(dots, gene_summary(reference, GENES, codes, categories))
    assert_same_violins(violins, violin_values(reference, GENES, codes, categories))


def test_viewer_compare_on_a_dask_adata(client, expected, capsys):  # noqa: F811
    viewer = cellucid.show_anndata(dask_adata("sparse"))
    try:
        PageClient(viewer).connect()
        with get_task_stream(client) as stream:
            frame = viewer.compare(GROUP, "rest", method="wilcoxon")
        assert "gene_block_statistics" in task_names(stream.data)
        pd.testing.assert_frame_equal(frame, expected[1]["wilcoxon", "rest"], **FLOAT32)
    finally:
        viewer.stop()


def test_raw_of_a_dask_adata_is_compared_by_dask_tasks(client, expected, capsys):  # noqa: F811
    """scanpy's default reads .raw: a dask .raw is reduced on the client, ties corrected."""
    import dask.array as da
    adata = dask_adata("dense")
    adata.raw = ad.AnnData(dask_array("sparse"), var=adata.var.copy())
    viewer = cellucid.show_anndata(adata)
    try:
        with get_task_stream(client) as stream:
            frame = viewer.compare(GROUP, "rest", tie_correct=True)
        assert "gene_block_statistics" in task_names(stream.data)
        assert isinstance(adata.raw.X, da.Array)
        want = rank_genes(log_counts(), GROUP, tie_correct=True,
                          gene_names=np.asarray(expected[0].genes.names, dtype=object))
        pd.testing.assert_frame_equal(frame, want, **FLOAT32)
    finally:
        viewer.stop()


def test_wilcoxon_blocks_and_batches_stay_within_their_budgets(monkeypatch, expected):
    """Dense: a block is cells x genes float32 within task_bytes; a batch within batch_bytes."""
    task_bytes = N_CELLS * 40 * 4 + 100          # 40 genes per block
    batch_bytes = task_bytes * 3                  # 3 blocks per dask.compute
    source = DaskSource(dask_array("dense"), task_bytes=task_bytes, batch_bytes=batch_bytes)
    blocks = source.gene_blocks()
    assert len(blocks) == -(-N_GENES // 40)
    assert all(N_CELLS * (b - a) * 4 <= task_bytes for a, b in blocks)
    batches = []
    real = daskstats.compute_batches

    def recorded(tasks, size):
        batches.append((len(tasks), size))
        return real(tasks, size)
    monkeypatch.setattr(daskstats, "compute_batches", recorded)
    frame = rank_genes(source, GROUP, method="wilcoxon",
                       gene_names=np.asarray(expected[0].genes.names, dtype=object))
    assert batches == [(len(blocks), 3)]
    pd.testing.assert_frame_equal(frame, expected[1]["wilcoxon", "rest"], **FLOAT32)


def test_sparse_blocks_are_sized_by_their_stored_values():
    csc = log_counts().tocsc()
    task_bytes = 200_000
    source = DaskSource(dask_array("sparse"), task_bytes=task_bytes)
    blocks = source.gene_blocks()
    assert len(blocks) >= 4
    for a, b in blocks:  # the sample is every chunk here: estimates are exact
        stored = int(csc.indptr[b] - csc.indptr[a])
        assert stored * 8 <= task_bytes or b - a == 1
    assert blocks[0][0] == 0 and blocks[-1][1] == N_GENES
    assert all(b == c for (_, b), (c, _) in zip(blocks, blocks[1:]))


@pytest.mark.parametrize("chunks", [(300, 70), (N_CELLS, 40)])
@pytest.mark.parametrize("method", METHODS)
def test_rank_genes_accepts_a_bare_dask_array_in_any_chunks(method, chunks, expected):
    frame = rank_genes(dask_array("sparse", chunks=chunks), GROUP, method=method,
                       gene_names=np.asarray(expected[0].genes.names, dtype=object))
    pd.testing.assert_frame_equal(frame, expected[1][method, "rest"], **FLOAT32)


@pytest.mark.parametrize("method", METHODS)
def test_non_finite_values_are_named_from_the_workers(client, method):  # noqa: F811
    import dask.array as da
    x = log_counts().tolil()
    x[3, 42] = np.nan
    array = da.from_array(sp.csr_matrix(x), chunks=(CHUNK, 100), asarray=False)
    with pytest.raises(ValueError, match="'G42'"):
        rank_genes(array, GROUP, method=method,
                   gene_names=[f"G{j}" for j in range(N_GENES)])


@pytest.mark.parametrize("kind", ("sparse", "dense"))
def test_dask_source_streams_whole_gene_blocks(kind):
    source = DaskSource(dask_array(kind), batch_bytes=1)   # one block per computation
    dense = log_counts().toarray()
    spans = []
    for start, stop, block in source.blocks(64):
        block = block.toarray() if sp.issparse(block) else block
        np.testing.assert_array_equal(block, dense[:, start:stop])
        spans.append((start, stop))
    assert spans == [(a, min(a + 64, N_GENES)) for a in range(0, N_GENES, 64)]
