"""The dashboard's interface words in English: metric names, their warnings and the spending
plan's checkpoints. The goal tables' own texts (rows, targets, bases) are the bureau's
documents: they stay as written in every language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geo.budget import LABELS_EN
from geo.indicators import METRICS, farmland_warning
from geo.messages import Lang

METRIC_LABELS_EN: dict[str, str] = {
    "verified_of_issued": "Verified / issued polygons",
    "verified_by_due_share": "Verified on time",
    "illegal_filed_share": "Illegal polygons filed",
    "enforcement_closed_share": "Illegal polygons closed",
    "penalties_receipted": "Fines paid (with receipts)",
    "penalty_receipt_count": "Fine receipts",
    "illegal_mines_active": "Illegal mines not yet rectified",
    "patrol_findings": "Patrol findings (reports included)",
    "patrol_stopped_on_time_share": "Stopped within the deadline",
    "patrol_filed_on_time_share": "Filed within the deadline",
    "patrol_reported_on_time_share": "Reported upwards within the deadline",
    "reinspected_on_time_share": "Watched sites re-inspected on time",
    "provincial_pass_rate": "Province pass rate",
    "land_class_correct_rate": "Land class correct",
    "submitted_by_due_share": "Submitted on time",
    "evidence_of_issued": "Evidence given / issued monitoring polygons",
    "evidence_complete_of_issued": "Evidence complete / issued monitoring polygons",
    "approved_first_time_share": "Verification passed first time",
    "illegal_farmland_ratio": "Farmland illegally occupied",
}


def metric_label(metric: str, lang: Lang, zh: str | None = None) -> str:
    """A metric's name in ``lang``; ``zh`` (or the definition's) when there is no other.

    >>> metric_label("verified_by_due_share", "en"), metric_label("verified_by_due_share", "zh")
    ('Verified on time', '按期核查率')
    """
    if lang == "en" and metric in METRIC_LABELS_EN:
        return METRIC_LABELS_EN[metric]
    return zh if zh is not None else METRICS[metric].label if metric in METRICS else metric


def value_in(value: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """A goal-table value (``MetricPublic`` shape) with its name and warning in ``lang``; the
    warning is said again from the value, so a snapshot's frozen value reads the same."""
    out = dict(value)
    if lang == "zh":
        return out
    out["label"] = metric_label(out["metric"], lang, out.get("label"))
    if out.get("warning"):
        said = farmland_warning(out.get("value"))
        out["warning"] = said.text(lang) if said else out["warning"]
    return out


def rows_in(rows: list[dict[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """Goal-table rows (``project_entry`` shape) with their values' words in ``lang``."""
    return [{**r, "values": [value_in(v, lang) for v in r["values"]]} for r in rows]


def series_in(series: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """A trend series with its metric's name in ``lang``."""
    return {**series, "label": metric_label(series["metric"], lang, series.get("label"))}


def checkpoint_in(checkpoint: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """A spending-plan checkpoint with its label ("3月底") in ``lang``."""
    if lang == "zh":
        return dict(checkpoint)
    return {**checkpoint, "label": LABELS_EN.get(checkpoint["checkpoint"], checkpoint["label"])}
