"""cellucid.compare.groups: group/reference specs to cell indices, and the errors for bad ones."""

from __future__ import annotations

import numpy as np
import pytest

from cellucid.compare import rank_genes, resolve_comparison
from cellucid.compare.groups import GROUP, OUTSIDE, REFERENCE, cell_indices

N = 10


def test_indices_are_sorted_and_deduplicated():
    np.testing.assert_array_equal(cell_indices([5, 1, 5, 3], N, "group"), [1, 3, 5])
    np.testing.assert_array_equal(cell_indices(np.array([2, 0], np.uint8), N, "group"), [0, 2])
    np.testing.assert_array_equal(cell_indices(range(3), N, "group"), [0, 1, 2])
    assert cell_indices([4], N, "group").dtype == np.int64


def test_boolean_masks_become_indices():
    mask = np.zeros(N, dtype=bool)
    mask[[2, 7]] = True
    np.testing.assert_array_equal(cell_indices(mask, N, "group"), [2, 7])
    np.testing.assert_array_equal(cell_indices(list(mask), N, "group"), [2, 7])


def test_rest_is_every_cell_outside_the_group():
    comparison = resolve_comparison([0, 1, 2], "rest", N)
    assert comparison.reference_is_rest
    np.testing.assert_array_equal(comparison.reference, np.arange(3, N))
    assert (comparison.n_group, comparison.n_reference) == (3, 7)
    assert list(comparison.labels()) == [GROUP] * 3 + [REFERENCE] * 7


def test_a_named_reference_leaves_other_cells_out():
    comparison = resolve_comparison([0, 1], [5, 6, 7], N)
    assert not comparison.reference_is_rest
    labels = comparison.labels()
    assert list(labels[[0, 1, 5, 6, 7]]) == [GROUP, GROUP, REFERENCE, REFERENCE, REFERENCE]
    assert set(labels[[2, 3, 4, 8, 9]]) == {OUTSIDE}


BAD_SPECS = [
    ([], "rest", "the group is empty"),
    (np.zeros(N, dtype=bool), "rest", "the group is empty"),
    ([0, 1], [], "the reference is empty"),
    ([0, 1], np.zeros(N, dtype=bool), "the reference is empty"),
    ([0, 1, 2], [2, 3, 4], r"share 1 cell\(s\) \(2\)"),
    (np.arange(N), "rest", "the group holds all 10 cells, so reference 'rest' is empty"),
    (np.ones(N, dtype=bool), "rest", "the group holds all 10 cells"),
    ([0, 10], "rest", r"group has 1 cell indices out of range \[0, 10\): 10"),
    ([-1, 2], "rest", r"out of range \[0, 10\): -1"),
    ([0, 1], [3, 99], r"reference has 1 cell indices out of range"),
    (np.ones(N + 1, dtype=bool), "rest", "boolean mask of length 11, but the matrix has 10 cells"),
    ([0, 1], np.ones(3, dtype=bool), "reference is a boolean mask of length 3"),
    ([0.0, 1.0], "rest", "integer cell indices or booleans"),
    ("rest", [0, 1], "only the reference may be 'rest'"),
    ([0, 1], "others", "reference must be 'rest', a list of cell indices"),
    ([[0, 1]], "rest", "1-D"),
    ([0], "rest", "the group has 1 cell; statistics need at least 2"),
    (np.arange(N - 1), "rest", "the reference has 1 cell"),
]


@pytest.mark.parametrize(("group", "reference", "message"), BAD_SPECS)
def test_bad_specs_are_refused_with_a_clear_message(group, reference, message):
    with pytest.raises(ValueError, match=message):
        resolve_comparison(group, reference, N)


@pytest.mark.parametrize(("group", "reference", "message"), BAD_SPECS)
def test_rank_genes_refuses_bad_specs_before_reading_the_matrix(group, reference, message):
    values = np.ones((N, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=message):
        rank_genes(values, group, reference)
