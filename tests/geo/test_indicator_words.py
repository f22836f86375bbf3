"""The dashboard's interface words in English: every metric and checkpoint has one, and a
frozen value's warning is said again in the language asked for."""

from __future__ import annotations

import re

from geo.budget import LABELS, LABELS_EN
from geo.indicator_words import METRIC_LABELS_EN, checkpoint_in, rows_in, value_in
from geo.indicators import FARMLAND_RATIO_LINE, METRICS, farmland_warning

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def test_every_metric_and_checkpoint_has_english_without_chinese() -> None:
    assert set(METRIC_LABELS_EN) == set(METRICS)
    assert set(LABELS_EN) == set(LABELS)
    assert not [w for w in [*METRIC_LABELS_EN.values(), *LABELS_EN.values()] if CJK.search(w)]


def test_a_value_keeps_chinese_unless_english_is_asked_for() -> None:
    ratio = FARMLAND_RATIO_LINE + 0.4
    said = farmland_warning(ratio)
    assert said is not None
    value = {"metric": "illegal_farmland_ratio", "label": "违法占用耕地比例", "value": ratio}
    value["warning"] = said.text()
    assert value_in(value, "zh") == value
    en = value_in(value, "en")
    assert en["label"] == METRIC_LABELS_EN["illegal_farmland_ratio"]
    line = "at the 15% accountability line"
    assert en["warning"] == f"Illegally occupied farmland {ratio:.1f}%: {line}"
    rows = [{"row_no": 1, "description": "条目原文", "values": [value]}]
    assert rows_in(rows, "en")[0]["description"] == "条目原文"  # the bureau's own text


def test_no_warning_below_the_line_and_checkpoints_in_english() -> None:
    assert farmland_warning(None) is None and farmland_warning(1.0) is None
    cp = {"checkpoint": "mar", "label": LABELS["mar"]}
    assert checkpoint_in(cp, "en")["label"] == "end of March"
    assert checkpoint_in(cp, "zh")["label"] == "3月底"
