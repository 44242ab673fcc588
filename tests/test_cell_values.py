"""Values and coordinates pushed from Python: accepted forms, alignment, and every refusal
(data/cell_values.py), checked before anything is stored or sent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellucid.data.cell_values import cell_coordinates, cell_values, values_title

NAMES = pd.Index([f"cell{i}" for i in range(6)])


def test_titles_come_from_name_then_series_then_default():
    assert values_title([1], "mine") == "mine"
    assert values_title(pd.Series([1], name="score"), None) == "score"
    assert values_title(np.zeros(3), None) == "values"
    with pytest.raises(ValueError, match="non-empty"):
        values_title([1], " ")


@pytest.mark.parametrize("values", [
    [1.0, 2, 3, 4, 5, 6], np.arange(6), pd.Categorical(list("abcabc")), ("x",) * 6,
    np.array([True, False] * 3), np.array(["a", None, "b", "a", "b", "a"], dtype=object)])
def test_array_like_values_keep_cell_order(values):
    series = cell_values(values, 6, NAMES)
    assert list(series.index) == list(range(6)) and len(series) == 6


def test_lists_keep_their_types():
    assert cell_values([1, 2, 3, 4, 5, 6], 6, NAMES).dtype == np.int64
    assert cell_values([0.5] * 6, 6, NAMES).dtype == np.float64
    assert cell_values(list("abcabc"), 6, NAMES).tolist() == list("abcabc")


def test_a_series_indexed_by_cell_names_is_aligned():
    shuffled = pd.Series(np.arange(6.0), index=NAMES[::-1])
    assert cell_values(shuffled, 6, NAMES).tolist() == [5.0, 4, 3, 2, 1, 0]
    assert cell_values(pd.Series(np.arange(6.0)), 6, NAMES).tolist() == list(range(6))


@pytest.mark.parametrize("values, message", [
    (np.zeros(5), "length 5.*6 cells"),
    (np.zeros((6, 2)), "1-D"),
    (pd.DataFrame({"a": range(6)}), "DataFrame"),
    (np.array([1, "a", 2.5, "b", 3, "c"], dtype=object), "mix types"),
    ([1, "a", 2, "b", 3, "c"], "mix types"),
    (pd.Series(np.zeros(6), index=[f"x{i}" for i in range(6)]), "does not match the cell names"),
    (pd.Series(np.zeros(6), index=["cell0"] * 6), "repeated"),
    (pd.Series(np.zeros(5), index=NAMES[:5]), "1 cells have no value"),
])
def test_bad_values_are_refused_with_the_reason(values, message):
    with pytest.raises(ValueError, match=message):
        cell_values(values, 6, NAMES)


def test_series_needs_cell_names_unless_positional():
    with pytest.raises(ValueError, match="no cell names"):
        cell_values(pd.Series(np.zeros(6), index=list("abcdef")), 6, None)


def test_coordinates_must_be_n_by_2_or_3_numbers():
    assert cell_coordinates(np.zeros((6, 3)), 6).shape == (6, 3)
    assert cell_coordinates(pd.DataFrame(np.zeros((6, 2))), 6).shape == (6, 2)
    for bad, message in ((np.zeros((6, 4)), "shape"), (np.zeros(6), "shape"),
                         (np.zeros((5, 2)), "5 rows"), (np.full((6, 2), "a"), "real numbers")):
        with pytest.raises(ValueError, match=message):
            cell_coordinates(bad, 6)
