"""obs columns: which kind each becomes, codes, counts, colours, and what cannot be coloured."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellucid.data import open_dataset
from cellucid.data.obs import MISSING_CODE, classify_column, normalize_colors
from cellucid.errors import DatasetError

from .data_fixtures import isolated_cache, rich_adata  # noqa: F401


def test_rich_adata_kinds_and_colours():
    ds = open_dataset(rich_adata())
    obs = {f["name"]: f for f in ds.manifest()["obs"]}
    assert {k: v["kind"] for k, v in obs.items()} == {
        "cluster": "categorical", "score": "continuous", "count": "continuous",
        "flag": "boolean", "batch": "categorical", "barcode": "uncolorable",
        "with_nan": "continuous"}
    assert obs["cluster"]["colors"] == ["#ff0000", "#00ff00", "#0000ff"]
    assert obs["batch"]["categories"] == ["b1", "b2"] and obs["batch"]["colors"] is None
    assert "identifier" in obs["barcode"]["reason"]
    assert obs["with_nan"]["n_missing"] == int(np.isnan(ds.obs_values("with_nan")).sum()) > 0
    assert ds.obs_values("flag").dtype == np.uint16
    with pytest.raises(DatasetError, match="barcode.*cannot be coloured"):
        ds.obs_values("barcode")
    with pytest.raises(DatasetError, match="cannot be coloured"):
        ds.resolve_color_field("barcode")
    with pytest.raises(KeyError, match="closest: 'cluster'"):
        ds.obs_values("clustr")


def test_categorical_with_missing_values():
    cat = pd.Categorical(["x", None, "y", "x"], categories=["y", "x", "unused"])
    field = classify_column("c", pd.Series(cat))
    assert field.info["categories"] == ["y", "x", "unused"]
    assert field.info["counts"] == [1, 2, 0] and field.info["n_missing"] == 1
    np.testing.assert_array_equal(field.values, [1, MISSING_CODE, 0, 1])


def test_colours_must_match_categories():
    cat = pd.Series(pd.Categorical(["a", "b"]))
    assert classify_column("c", cat, ["#112233"]).info["colors"] is None
    assert classify_column("c", cat, ["#112233", "red"]).info["colors"] is None
    assert classify_column("c", cat, np.array(["#ABC", "#11223344"])).info["colors"] == \
        ["#aabbcc", "#112233"]
    assert normalize_colors(None, 2) is None


def test_nullable_and_object_booleans():
    field = classify_column("b", pd.Series(pd.array([True, None, False], dtype="boolean")))
    assert field.kind == "boolean"
    np.testing.assert_array_equal(field.values, [1, MISSING_CODE, 0])
    assert field.info["counts"] == [1, 1]
    field = classify_column("b", pd.Series([True, False, None], dtype=object))
    assert field.kind == "boolean" and field.info["n_missing"] == 1


def test_numbers_infinities_and_nullable_ints():
    field = classify_column("n", pd.Series([1.0, np.inf, -np.inf, 3.0]))
    assert field.kind == "continuous" and field.info["n_missing"] == 2
    assert (field.info["min"], field.info["max"]) == (1.0, 3.0)
    field = classify_column("n", pd.Series(pd.array([1, None, 5], dtype="Int64")))
    assert field.kind == "continuous" and np.isnan(field.values[1])
    field = classify_column("n", pd.Series([np.nan, np.nan]))
    assert field.info["min"] is None and field.info["n_missing"] == 2


def test_uncolorable_kinds():
    many = pd.Series([f"v{i % 1500}" for i in range(3000)])
    assert "too many" in classify_column("m", many).info["reason"]
    dates = pd.Series(pd.date_range("2020-01-01", periods=3))
    assert classify_column("d", dates).kind == "uncolorable"
    ids = pd.Series([f"id{i}" for i in range(500)])
    assert "identifier" in classify_column("i", ids).info["reason"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "ü", ""])),
                min_size=1, max_size=60))
def test_string_codes_round_trip(values):
    field = classify_column("s", pd.Series(values, dtype=object))
    assert field.kind == "categorical"
    cats = field.info["categories"]
    decoded = [None if c == MISSING_CODE else cats[c] for c in field.values]
    assert decoded == values
    assert sum(field.info["counts"]) + field.info["n_missing"] == len(values)


def test_long_string_columns_are_decided_from_their_first_values(tmp_path):
    import anndata as ad
    n = 25_000
    adata = ad.AnnData(np.zeros((n, 1), np.float32), obsm={"X_umap": np.zeros((n, 2))})
    adata.obs["id"] = [f"cell-{i}" for i in range(n)]
    adata.obs["group"] = np.array(["x", "y"], dtype=object)[np.arange(n) % 2]
    adata.obs["late"] = ["a"] * 20_000 + [f"u{i}" for i in range(n - 20_000)]
    path = tmp_path / "long.h5ad"
    adata.copy().write_h5ad(path)  # writing turns repeated strings into categoricals in place
    for source in (adata, path):
        obs = {f["name"]: f for f in open_dataset(source).manifest()["obs"]}
        assert obs["id"]["kind"] == "uncolorable" and "first 20000" in obs["id"]["reason"]
        assert obs["group"]["kind"] == "categorical" and obs["group"]["counts"] == [n // 2] * 2
        if source is adata:
            assert obs["late"]["kind"] == "uncolorable" and "5001 distinct" in obs["late"]["reason"]
        else:  # anndata stored it as a categorical: the user's explicit choice is kept
            assert obs["late"]["kind"] == "categorical" and len(obs["late"]["categories"]) == 5001
