"""A Dask-backed AnnData as a Dataset: it opens, and its gene values are dask tasks equal to the
in-memory matrix's; dask is needed only once a dask array is met."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from dask.distributed import get_task_stream

from cellucid.data import open_dataset
from cellucid.data.daskarrays import active_client, is_dask_array, require_dask, take_columns
from cellucid.data.expression import column_reader

from .dask_data import (
    CHUNK,
    KINDS,
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


def test_importing_cellucid_does_not_import_dask():
    code = ("import sys, cellucid, cellucid.data, cellucid.compare, cellucid.data.prepare; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_missing_dask_names_the_extra_to_install(monkeypatch):
    class Array:  # what a dask array looks like from outside
        __module__ = "dask.array.core"
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"pip install 'cellucid\[dask\]'"):
        require_dask()
    with pytest.raises(ImportError, match=r"pip install 'cellucid\[dask\]'"):
        column_reader(Array())
    assert not is_dask_array(np.zeros(3))  # anything else never needs dask


@pytest.mark.parametrize("kind", KINDS)
def test_dataset_reads_every_gene_as_the_in_memory_matrix(kind, tmp_path):
    assert active_client() is None  # dask's default (threaded) scheduler
    reference = open_dataset(memory_adata())
    dataset = open_dataset(dask_adata(kind, tmp_path))
    assert dataset.kind == "anndata" and dataset.n_cells == reference.n_cells
    assert dataset.embedding_names == ["X_umap"] and "cluster" in dataset.obs_names
    assert dataset.layers == ["X", "dense"]
    for gene in dataset.genes.names[::7]:  # each read is a pass over every chunk
        expected = reference.gene_values(gene)
        np.testing.assert_array_equal(dataset.gene_values(gene), expected)
    np.testing.assert_array_equal(dataset.gene_values("G7", layer="dense"),
                                  reference.gene_values("G7", layer="dense"))


@pytest.mark.parametrize("chunks", [(CHUNK, N_GENES), (300, 70), (2000, 40)])
def test_take_columns_keeps_the_order_asked(chunks):
    x = log_counts()
    positions = [250, 3, 71, 140, 0]
    for array in (dask_array("sparse", chunks=chunks), dask_array("dense")):
        picked = take_columns(array, positions)
        dense = picked.toarray() if hasattr(picked, "toarray") else picked
        np.testing.assert_array_equal(dense, x[:, positions].toarray())


def test_gene_values_are_tasks_on_the_client_holding_one_gene(client):  # noqa: F811
    reference = open_dataset(memory_adata())
    dataset = open_dataset(dask_adata("sparse"))
    with get_task_stream(client) as stream:
        values = dataset.gene_values("G12")
    np.testing.assert_array_equal(values, reference.gene_values("G12"))
    assert "take_block_columns" in task_names(stream.data)
    # each task keeps one gene of its chunk: a CSC column of at most CHUNK values
    assert largest_result(stream.data, "take_block_columns") <= CHUNK * 8 + 64 + 1024
    assert is_dask_array(dataset.adata.X)
