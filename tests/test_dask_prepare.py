"""``cellucid.prepare`` of a Dask-backed AnnData: row chunks computed as dask tasks (on a Client
when one is active), each once, a chunk per task, and an export equal to the in-memory AnnData's."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp
from dask.distributed import get_task_stream

import cellucid
from cellucid.data import open_dataset
from cellucid.data.chunks import row_chunks
from cellucid.data.daskarrays import active_client
from cellucid.data.daskchunks import DaskRowChunks

from .dask_data import (
    CHUNK,
    KINDS,
    N_CELLS,
    client,  # noqa: F401
    dask_adata,
    dask_array,
    generated_matrix,
    largest_result,
    log_counts,
    memory_adata,
)
from .data_fixtures import isolated_cache  # noqa: F401


def assert_same_export(out, reference: sp.spmatrix, layers=("X",)) -> None:
    """Every gene of every layer of the export ``out`` equals ``reference``'s column."""
    dataset = open_dataset(out)
    assert dataset.layers == list(layers)
    dense = reference.toarray()
    for layer in layers:
        read = dataset.layer(layer).column
        for j in range(dataset.n_genes):
            np.testing.assert_array_equal(read(j), dense[:, j])


@pytest.mark.parametrize("kind", KINDS)
def test_prepare_without_a_client_equals_the_in_memory_export(kind, tmp_path):
    assert active_client() is None
    out = cellucid.prepare(dask_adata(kind, tmp_path), tmp_path / "out", layers="all",
                           progress=False)
    assert_same_export(out, log_counts(), layers=("X", "dense"))
    expected = open_dataset(cellucid.prepare(memory_adata(), tmp_path / "mem", progress=False))
    dataset = open_dataset(out)
    assert dataset.obs_names == expected.obs_names
    np.testing.assert_array_equal(dataset.embedding("X_umap"), expected.embedding("X_umap"))


def test_prepare_runs_as_tasks_on_the_client(client, tmp_path):  # noqa: F811
    from dask.utils import key_split
    adata = dask_adata("sparse")
    with get_task_stream(client) as stream:
        out = cellucid.prepare(adata, tmp_path / "out", layers="all", progress=False)
    # each row chunk of each matrix is read once: no counting pass
    slabs = [r for r in stream.data if key_split(r["key"]) == "csc_slab"]
    assert len(slabs) == sum(len(row_chunks(m).row_starts) for m in (adata.X,
                                                                      adata.layers["dense"]))
    assert_same_export(out, log_counts(), layers=("X", "dense"))


def test_prepare_holds_one_chunk_per_task(client, tmp_path):  # noqa: F811
    """No task result (chunk, CSC chunk) is larger than one chunk of the matrix."""
    adata = ad.AnnData(dask_array("generated"),
                       obsm={"X_umap": np.zeros((N_CELLS, 2), np.float32)})
    reference = generated_matrix()
    chunk_bytes = max(reference[a:a + CHUNK].data.nbytes * 2 + (CHUNK + 1) * 8
                      for a in range(0, N_CELLS, CHUNK))
    with get_task_stream(client) as stream:
        out = cellucid.prepare(adata, tmp_path / "out", progress=False)
    assert max(r["nbytes"] for r in stream.data) <= chunk_bytes * 1.05
    assert largest_result(stream.data, "csc_slab") <= chunk_bytes
    assert_same_export(out, reference)


def test_gene_chunked_arrays_are_read_in_as_many_rows_as_a_chunk_holds(tmp_path):
    array = dask_array("sparse", chunks=(N_CELLS, 50))   # 6 chunks of whole cells' genes
    source = row_chunks(array)
    assert isinstance(source, DaskRowChunks)
    assert max(source.array.chunks[0]) == N_CELLS // 6
    assert [first for first, _ in source.chunks()] == list(range(0, N_CELLS, N_CELLS // 6))
    adata = ad.AnnData(array, obsm={"X_umap": np.zeros((N_CELLS, 2), np.float32)})
    assert_same_export(cellucid.prepare(adata, tmp_path / "out", progress=False), log_counts())


def test_chunk_cells_rechunks_the_rows(tmp_path):
    source = row_chunks(dask_array("sparse"), 300)
    assert [piece.shape[0] for _, piece in source.chunks()] == [300] * 6 + [200]
    assert all(piece.format == "csc" and piece.dtype == np.float32
               for _, piece in source.chunks())
    np.testing.assert_array_equal(source.column_counts(), np.diff(log_counts().tocsc().indptr))


def test_prepare_shows_its_progress_in_cells(tmp_path, capsys):
    cellucid.prepare(dask_adata("sparse"), tmp_path / "out", progress=True)
    err = capsys.readouterr().err
    assert "cellucid prepare: X" in err and f"{N_CELLS / 1000:.2f}k/{N_CELLS / 1000:.2f}k" in err
