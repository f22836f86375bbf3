"""Helpers that an import uses to bound its memory give what their plain versions give."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from geo.layers import json_column, json_lines
from geo.linking import code_repeats


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "BHLX": ["新增建设用地", None, "推填土", "其他", "采矿", "\ufffd"],
            "JCMJ": [1.5, np.nan, 3.25, 1e9, 0.0, -2.0],
            "N": [1, 2, 3, 4, 5, 6],
            "QSX": pd.to_datetime(["2024-01-02", None, "2024-03-04", None, None, "2020-01-01"]),
        }
    )


def test_json_column_in_slices_equals_json_lines():
    f = _frame()
    cols = list(f.columns)
    for step in (1, 4, 100):
        got = json_column(f, cols, step=step)
        assert got.tolist() == json_lines(f, cols)
        assert len(got) == len(f) and got.index.tolist() == list(range(len(f)))
    assert json_column(f, []).tolist() == ["{}"] * len(f)
    # A subset of rows (after rejected rows were dropped) keeps its own order.
    sub = f.iloc[[5, 0, 3]]
    assert json_column(sub, cols, step=2).tolist() == json_lines(sub, cols)


def _repeats_by_dict(codes: list) -> list[int]:
    first: dict = {}
    out = []
    for i, c in enumerate(codes):
        out.append(first.setdefault(c, i) if c in first else -1)
        first.setdefault(c, i)
    return out


@given(st.lists(st.one_of(st.none(), st.sampled_from(["A", "B", "图斑1", "C2", ""])), max_size=60))
def test_code_repeats_points_at_the_first_row_with_the_code(codes):
    got = code_repeats(np.array(codes, dtype=object)).tolist()
    assert got == _repeats_by_dict(codes)
