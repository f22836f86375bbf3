"""The milestone map applied to frames: case facts as an event log leaves them, vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.workflow.milestones import (
    INITIAL_STATE,
    KNOWN_AFTER,
    MILESTONES,
    Milestone,
    Tally,
    as_of_milestones,
    undo_columns,
)


def _values(actions: tuple) -> list[str]:
    return [a.value for a in actions]


def running_milestones(
    ev: pd.DataFrame, milestones: tuple[Milestone, ...] = MILESTONES
) -> pd.DataFrame:
    """Each event's case milestones as they stood right after it.

    ``ev`` holds one row per event, ordered by case then sequence, with columns ``case_id``,
    ``seq``, ``action``, ``at`` and the milestones' ``source`` columns; a column per as-of
    milestone is added (undone milestones and fields not yet known cleared, see ``settle``).
    """
    by_case = ev["case_id"]
    for m in as_of_milestones(milestones):
        hit = ev["action"].isin(_values(m.actions))
        if m.tally is Tally.COUNT:
            ev[m.name] = hit.astype(np.int64).groupby(by_case).cumsum()
        elif m.tally is Tally.LATEST:
            ev[m.name] = ev[m.source].where(hit).groupby(by_case).ffill()
            ev[m.name] = ev[m.name].astype(object).where(ev[m.name].notna(), None)
        else:
            ev[m.name] = ev["at"].where(hit).groupby(by_case).ffill()
        if m.undone_by:
            done, undone = undo_columns(m)
            ev[done] = ev["seq"].where(hit).groupby(by_case).ffill()
            undo = ev["action"].isin(_values(m.undone_by))
            ev[undone] = ev["seq"].where(undo).groupby(by_case).ffill()
    return settle(ev, milestones)


def settle(df: pd.DataFrame, milestones: tuple[Milestone, ...] = MILESTONES) -> pd.DataFrame:
    """Finish milestone columns read from an event log (in place; returns ``df``).

    A case with no event yet is in the initial state; a milestone undone by a later event
    (a reopen after a close) does not count; a payload field (``KNOWN_AFTER``) counts only
    once the milestone of the action that set it had happened.
    """
    df["state"] = df["state"].fillna(INITIAL_STATE.value)
    for m in as_of_milestones(milestones):
        if not m.undone_by:
            continue
        done, undone = undo_columns(m)
        later = df[undone].fillna(-1).astype(float) > df[done].fillna(-1).astype(float)
        df.loc[df[undone].notna() & later, m.name] = None if m.tally is Tally.LATEST else pd.NaT
    for field, milestone in KNOWN_AFTER.items():
        if field in df:
            df[field] = df[field].where(df[milestone].notna(), None)
    return df


def issued_like(df: pd.DataFrame, milestones: tuple[Milestone, ...] = MILESTONES) -> pd.DataFrame:
    """The same cases as freshly issued: no milestone reached, no payload field known."""
    blank = df.copy()
    for m in as_of_milestones(milestones):
        if m.tally is Tally.COUNT:
            blank[m.name] = 0
        elif m.tally is Tally.AT:
            blank[m.name] = pd.NaT
        else:
            blank[m.name] = None
    blank["state"] = INITIAL_STATE.value
    for field in KNOWN_AFTER:
        if field in blank:
            blank[field] = None
    return blank
