"""``event["cells"]`` for big selections: a read-only numpy-backed sequence that reads like the list."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from cellucid.selection.sequence import LIST_MAX_CELLS, MASK_CHUNK, CellSequence, event_cells, \
    json_default


@pytest.fixture
def cells():
    return [0, 3, 4, 9, 10, 200, 201, 5000]


def test_it_reads_like_the_sorted_list(cells):
    seq = CellSequence(np.array(cells))
    assert len(seq) == len(cells)
    assert seq == cells and cells == seq and not (seq != cells)
    assert [seq[i] for i in range(-len(cells), len(cells))] == cells[-len(cells):] + cells
    assert all(type(seq[i]) is int for i in range(len(cells)))
    assert seq[np.int64(2)] == 4
    assert seq[2:5] == cells[2:5] and seq[::-2] == cells[::-2]
    assert isinstance(seq[1:3], CellSequence)
    assert list(seq) == cells and all(type(c) is int for c in seq)
    assert list(reversed(seq)) == cells[::-1]
    assert 9 in seq and 8 not in seq and 9.0 in seq and 9.5 not in seq and "9" not in seq
    assert np.int32(200) in seq and -1 not in seq and 10**30 not in seq
    assert seq.index(200) == 5 and seq.count(200) == 1 and seq.count(7) == 0
    with pytest.raises(ValueError, match="not in the selection"):
        seq.index(7)
    assert seq + [1] == cells + [1] and [1] + seq == [1] + cells
    assert sorted(seq) == cells and sum(seq) == sum(cells) and max(seq) == 5000
    assert set(seq) == set(cells)


def test_out_of_range_indexing_and_bad_indices_raise_like_a_list(cells):
    seq = CellSequence(np.array(cells))
    with pytest.raises(IndexError):
        seq[len(cells)]
    with pytest.raises(IndexError):
        seq[-len(cells) - 1]
    with pytest.raises(TypeError, match="integers or slices"):
        seq[1.0]


def test_equality_follows_list_rules(cells):
    seq = CellSequence(np.array(cells))
    assert seq == CellSequence(np.array(cells, dtype=np.uint32))
    assert seq != cells[:-1] and seq != cells[:-1] + [5001]
    assert seq != tuple(cells) and seq != "abc" and seq != None   # noqa: E711
    assert seq == [float(c) for c in cells]
    assert seq != [str(c) for c in cells]
    assert CellSequence(np.array([1, 2])) == [True + 0, 2]
    with pytest.raises(TypeError):
        hash(seq)


def test_numpy_gets_the_array_itself_without_a_copy():
    base = np.arange(0, 30, 3)
    seq = CellSequence(base)
    arr = np.asarray(seq)
    assert np.shares_memory(arr, base) and not arr.flags.writeable
    np.testing.assert_array_equal(np.asarray(seq, dtype=np.int64), base)
    assert np.asarray(seq, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(np.array(seq, copy=True), base)
    with pytest.raises(ValueError):
        np.asarray(seq, dtype=np.float32, copy=False)
    assert (np.asarray(seq) * 2)[1] == 6
    np.testing.assert_array_equal(seq == base, np.ones(10, bool))   # numpy compares elementwise


def test_it_is_read_only(cells):
    seq = CellSequence(np.array(cells))
    with pytest.raises(TypeError, match="read-only"):
        seq[0] = 5
    with pytest.raises(TypeError, match="read-only"):
        del seq[0]
    with pytest.raises(AttributeError):
        seq.append(3)
    with pytest.raises(ValueError):
        np.asarray(seq)[0] = 1
    edited = list(seq)
    edited.append(6000)
    assert seq == cells


def test_repr_json_and_pickle(cells):
    small = CellSequence(np.array(cells[:5]))
    assert repr(small) == repr(cells[:5])
    big = CellSequence(np.arange(10_000_000))
    assert repr(big) == "CellSequence([0, 1, 2, ..., 9999997, 9999998, 9999999], 10,000,000 cells)"
    event = {"cells": CellSequence(np.array(cells)), "source": "lasso"}
    assert json.loads(json.dumps(event, default=json_default)) == {"cells": cells,
                                                                   "source": "lasso"}
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"x": object()}, default=json_default)
    again = pickle.loads(pickle.dumps(CellSequence(np.array(cells))))
    assert again == cells


def test_built_from_a_mask_or_indices_with_a_threshold():
    mask = np.zeros(9_000_001, bool)   # filled in three ranges (MASK_CHUNK)
    mask[::3] = True
    mask[[1, MASK_CHUNK + 1]] = True
    seq = CellSequence.from_mask(mask)
    assert len(seq) == mask.sum() and seq[2] == 3 and seq[-1] == len(mask) - 1
    assert np.asarray(seq).dtype == np.uint32
    np.testing.assert_array_equal(np.asarray(seq), np.flatnonzero(mask))
    big = event_cells(mask)
    assert isinstance(big, CellSequence) and big == seq
    small = event_cells(np.array([1, 5, 7]))
    assert type(small) is list and small == [1, 5, 7]
    assert event_cells(np.zeros(10, bool)) == [] and CellSequence([]) == []
    edge = np.arange(LIST_MAX_CELLS)
    assert type(event_cells(edge)) is list
    assert isinstance(event_cells(np.arange(LIST_MAX_CELLS + 1)), CellSequence)
    with pytest.raises(TypeError, match="1-D array of integers"):
        CellSequence(np.zeros((2, 2), int))
    with pytest.raises(TypeError, match="1-D array of integers"):
        CellSequence(np.array([0.5]))
