"""Labels made in the page: `annotation` events → viewer.annotations and adata.obs, the label
column offered to the page at once, bad events refused (annotations.py, events.py)."""

from __future__ import annotations

import pandas as pd
import pytest

import cellucid

from .test_pushed_data import manifest
from .viewer_client import PageClient, bitmask


def test_labels_land_in_python_and_in_obs(viewer, adata):
    page = PageClient(viewer).connect()
    seen = []
    viewer.on("annotation")(seen.append)
    assert page.post("annotation", key="cellucid_labels", label="T cells",
                     cells=[1, 2, 3]).status_code == 200
    big = list(range(100, 200))
    page.post("annotation", key="cellucid_labels", label="B cells", cells=bitmask(big, 200))
    page.post("annotation", key="cellucid_labels", label="T cells", cells=[150])
    viewer.wait_for_callbacks()
    labels = viewer.annotations
    assert isinstance(labels.dtype, pd.CategoricalDtype) and labels.index.equals(adata.obs_names)
    assert list(labels.cat.categories) == ["T cells", "B cells"]    # order of first use
    expected = {1: "T cells", 2: "T cells", 3: "T cells", 150: "T cells",
                **{c: "B cells" for c in big if c != 150}}
    assert labels.dropna().to_dict() == {adata.obs_names[c]: v for c, v in expected.items()}
    column = adata.obs["cellucid_labels"]
    assert isinstance(column.dtype, pd.CategoricalDtype)
    assert column.astype(object).where(column.notna(), None).tolist() == \
        [expected.get(i) for i in range(adata.n_obs)]
    assert seen[1]["cells"] == big and seen[0] == {"key": "cellucid_labels",
                                                   "label": "T cells", "cells": [1, 2, 3]}
    refreshes = [c for c in page.wait_commands(3) if c["type"] == "refresh"]
    assert len(refreshes) == 3
    assert any(o["name"] == "cellucid_labels" for o in manifest(viewer)["obs"])


def test_without_writing_the_labels_are_a_pushed_column(adata, capsys):
    viewer = cellucid.show_anndata(adata, annotations_key=None)
    try:
        page = PageClient(viewer).connect()
        page.post("annotation", key="cellucid_labels", label="x", cells=[0, 5])
        viewer.wait_for_callbacks()
        assert "cellucid_labels" not in adata.obs
        assert viewer.annotations.notna().sum() == 2
        entry = manifest(viewer)["obs"][-1]
        assert entry["name"] == "python:cellucid_labels" and entry["counts"] == [2]
    finally:
        viewer.stop()


@pytest.mark.parametrize("payload, field", [
    ({"key": "cellucid_labels", "label": "", "cells": [1]}, "label"),
    ({"key": "cellucid_labels", "label": 5, "cells": [1]}, "label"),
    ({"key": "", "label": "x", "cells": [1]}, "key"),
    ({"key": "cellucid_labels", "label": "x"}, "cells"),
    ({"key": "cellucid_labels", "label": "x", "cells": [999]}, "outside"),
    ({"key": "cellucid_labels", "label": "x" * 201, "cells": [1]}, "label"),
])
def test_bad_annotation_events_are_400_and_change_nothing(viewer, payload, field):
    page = PageClient(viewer).connect()
    reply = page.post("annotation", **payload)
    assert reply.status_code == 400 and field in reply.json()["message"]
    assert viewer.annotations.isna().all()
    assert not page.commands


def test_labels_of_another_key_only_reach_the_hooks(viewer):
    page = PageClient(viewer).connect()
    got = []
    viewer.on("annotation")(got.append)
    page.post("annotation", key="other", label="x", cells=[1])
    viewer.wait_for_callbacks()
    assert got and viewer.annotations.isna().all()
