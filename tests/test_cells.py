"""The cell-list wire codec (cells.py)."""

from __future__ import annotations

import base64
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellucid.cells import (as_index_array, decode_cells, encode_cells, event_size_limit,
                            mask_bytes)
from cellucid.errors import BadEvent

from .viewer_client import bitmask


def test_array_form_is_sorted_and_deduplicated():
    assert decode_cells([5, 1, 5, 0], 10).tolist() == [0, 1, 5]
    assert decode_cells([], 10).tolist() == []


@pytest.mark.parametrize("value, words", [
    ([1, 2.5], "integer"), ([True, 1], "integer"), (["1"], "integer"), ([[1]], "integer"),
    ([10], "outside"), ([-1], "outside"), ([2**70], "too large"), ("1,2", "list"), (5, "list"),
])
def test_array_form_rejects(value, words):
    with pytest.raises(BadEvent, match=words):
        decode_cells(value, 10)


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("n", [1, 7, 8, 9, 1000, 100_003])
def test_bitmask_round_trip(n, compress):
    rng = np.random.default_rng(n)
    cells = np.flatnonzero(rng.random(n) < 0.3)
    assert decode_cells(bitmask(cells, n, compress), n).tolist() == cells.tolist()


def _mask(size, cells=(), **changes):
    obj = bitmask(list(cells), size)
    obj.update(changes)
    return obj


@pytest.mark.parametrize("changes, words", [
    ({"encoding": "rle"}, "encoding"),
    ({"compression": "gzip"}, "compression"),
    ({"n": 11}, "n"), ({"n": "10"}, "n"),
    ({"count": 3}, "count"), ({"count": "1"}, "count"),
    ({"data": "!!!"}, "base64"), ({"data": 5}, "base64"),
    ({"data": base64.b64encode(b"\x00\x00\x00").decode(), "compression": "none"}, "exactly"),
    ({"data": base64.b64encode(b"\x01").decode(), "compression": "none"}, "exactly"),
    ({"data": base64.b64encode(b"not deflate").decode()}, "deflate"),
])
def test_bitmask_checks(changes, words):
    with pytest.raises(BadEvent, match=words):
        decode_cells(_mask(10, [1], **changes), 10)


def test_bitmask_bits_past_n_are_refused():
    raw = bytes([0b0000_0001, 0b1000_0000])  # bit 15 set, n = 10
    obj = {"encoding": "bitmask", "n": 10, "count": 2, "compression": "none",
           "data": base64.b64encode(raw).decode()}
    with pytest.raises(BadEvent, match="past cell 9"):
        decode_cells(obj, 10)


def test_truncated_and_trailing_deflate_are_refused():
    full = bitmask([1, 2], 1000)
    packed = base64.b64decode(full["data"])
    with pytest.raises(BadEvent, match="truncated"):
        decode_cells({**full, "data": base64.b64encode(packed[:-2]).decode()}, 1000)
    with pytest.raises(BadEvent, match="after the end"):
        decode_cells({**full, "data": base64.b64encode(packed + b"xx").decode()}, 1000)


def test_deflate_bomb_stops_at_the_expected_length():
    n = 1000
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = c.compress(b"\x00" * (64 << 20)) + c.flush()   # 64 MiB of zeros, ~64 KB packed
    obj = {"encoding": "bitmask", "n": n, "count": 0, "compression": "deflate-raw",
           "data": base64.b64encode(bomb).decode()}
    import tracemalloc
    tracemalloc.start()
    with pytest.raises(BadEvent, match="inflates past"):
        decode_cells(obj, n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20


def test_size_rule():
    assert event_size_limit(10) == 1 << 20
    n = 100_000_000
    assert event_size_limit(n) == 4 * -(-mask_bytes(n) // 3) + (256 << 10)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5000).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(0, n - 1), max_size=3000))))
def test_encode_decode_round_trip(case):
    n, cells = case
    expected = sorted(set(cells))
    wire = encode_cells(np.array(expected, dtype=np.int64), n)
    assert decode_cells(wire, n).tolist() == expected


def test_encode_picks_the_smaller_form():
    assert isinstance(encode_cells(np.arange(10), 1_000_000), list)
    assert encode_cells(np.arange(0, 1_000_000, 2), 1_000_000)["encoding"] == "bitmask"


def test_as_index_array():
    assert as_index_array([3, 1, 3], 5).tolist() == [1, 3]
    assert as_index_array(np.array([True, False, True]), 3).tolist() == [0, 2]
    assert as_index_array(range(2), 5).tolist() == [0, 1]
    with pytest.raises(IndexError, match="out of range"):
        as_index_array([5], 5)
    with pytest.raises(IndexError, match="length 3"):
        as_index_array(np.array([True]), 3)
    with pytest.raises(TypeError):
        as_index_array(["a"], 3)
