"""Shared fixtures: small real datasets, viewers on the process's server, and a page client."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest

import cellucid
from cellucid.viewer import Viewer

from .viewer_client import PageClient


class ScaleDataset:
    """A dataset of ``n`` cells with one 2D embedding and nothing else, for protocol-scale tests
    (10M cells) where building an AnnData would dominate the test."""

    def __init__(self, n_cells: int) -> None:
        self.n_cells = n_cells
        self.n_genes = 0
        self.default_embedding = "X_umap"
        self.adata = None
        self.adata_in_memory = None
        self.cell_names = None

    def manifest(self) -> dict:
        return {"n_cells": self.n_cells, "embeddings": [{"name": "X_umap", "dims": 2}], "obs": []}

    def embedding_info(self, name: str) -> dict:
        if name != "X_umap":
            raise KeyError(f"no embedding named {name!r}; closest: X_umap")
        return self.manifest()["embeddings"][0]

    def check_embedding(self, name: str) -> int:
        return 1

    def resolve_color_field(self, name: str):
        raise KeyError(f"no obs column or gene named {name!r}")


def small_adata(n_cells: int = 200, seed: int = 0) -> ad.AnnData:
    """A real AnnData: a 2D UMAP-like embedding, a categorical and a numeric obs column."""
    rng = np.random.default_rng(seed)
    adata = ad.AnnData(rng.poisson(1.0, size=(n_cells, 20)).astype(np.float32))
    adata.var_names = [f"GENE{i}" for i in range(20)]
    adata.obsm["X_umap"] = rng.normal(size=(n_cells, 2)).astype(np.float32)
    adata.obs["cluster"] = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n_cells)]
    adata.obs["cluster"] = adata.obs["cluster"].astype("category")
    adata.obs["score"] = rng.random(n_cells)
    return adata


@pytest.fixture
def adata() -> ad.AnnData:
    return small_adata()


@pytest.fixture
def viewer(adata, capsys):
    v = cellucid.show_anndata(adata)
    capsys.readouterr()
    yield v
    v.stop()


@pytest.fixture
def make_viewer():
    made: list[Viewer] = []

    def make(n_cells: int | None = None, **options) -> Viewer:
        if n_cells is not None and n_cells > 100_000:
            v = Viewer(ScaleDataset(n_cells), **options)
        else:
            v = Viewer(cellucid.data.open_dataset(small_adata(n_cells or 200)), **options)
        made.append(v)
        return v

    yield make
    for v in made:
        v.stop()


@pytest.fixture
def page(viewer):
    client = PageClient(viewer)
    yield client
    client.close()


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium in a thread of its own (``chromium.call(fn, *args)`` runs
    ``fn(browser, *args)`` there), beside the e2e tests' browser of the main thread."""
    pytest.importorskip("playwright.sync_api")
    from .browser import chromium_path
    from .jupyter.browser_thread import BrowserThread

    if chromium_path() is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install chromium)")
    browser = BrowserThread().start()
    yield browser
    browser.close()
