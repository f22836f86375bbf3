"""The vocabulary document covers every code the workflow has, with both labels."""

from __future__ import annotations

import re

import pytest

from geo import vocabulary as vocab_mod
from geo import workflow
from geo.model import VERIFY_REASONS, Action, Judgment, Programme, State
from geo.roles import ACTION_ROLES, Role
from geo.vocabulary import vocabulary


@pytest.fixture(scope="module")
def v():
    return vocabulary()


def test_every_code_is_there_with_both_labels(v):
    assert [s["code"] for s in v["states"]] == [s.value for s in State]
    assert [a["code"] for a in v["actions"]] == [a.value for a in Action]
    assert [r["code"] for r in v["roles"]] == [r.value for r in Role]
    assert [p["code"] for p in v["programmes"]] == [p.value for p in Programme]
    for group in ("states", "actions", "roles", "programmes", "judgments", "photo_flags"):
        for item in v[group]:
            assert item["label"] and item["label_en"], (group, item)
            assert item["label"] != item["label_en"], (group, item)


def test_reasons_are_geo_reasons(v):
    got = {j["code"]: {r["code"]: r["label"] for r in j["reasons"]} for j in v["judgments"]}
    assert got == {j.value: VERIFY_REASONS[j] for j in Judgment}
    assert all(r["label_en"] for j in v["judgments"] for r in j["reasons"])


def test_transitions_and_roles_are_the_workflows(v):
    for p in Programme:
        wf = v["workflows"][next(x["workflow"] for x in v["programmes"] if x["code"] == p)]
        table = {(t["from"], t["action"]): t["to"] for t in wf["transitions"]}
        assert table == {(s.value, a.value): t.value for (s, a), t in
                         workflow.transitions_for(p).items()}
        assert set(wf["states"]) == {s for pair in table for s in (pair[0], table[pair])}
    for a in v["actions"]:
        assert a["roles"] == [r.value for r in Role if r in ACTION_ROLES[Action(a["code"])]]


def test_fields_are_the_payload_specs(v):
    for a in v["actions"]:
        spec = workflow.PAYLOADS[Action(a["code"])]
        assert [f["name"] for f in a["fields"]] == list(spec)
        assert [f["required"] for f in a["fields"]] == [s.required for s in spec.values()]
        assert all(f["label"] and f["label_en"] for f in a["fields"])
    names = {n for spec in workflow.PAYLOADS.values() for n in spec}
    assert names <= set(v["fields"])
    pattern = v["field_kinds"]["land_class"]["pattern"]
    assert re.fullmatch(pattern, "0307k") and not re.fullmatch(pattern, "03-07")


def test_guards_are_the_workflows_thresholds(v):
    assert v["guards"] == {
        "min_evidence_photos": workflow.MIN_EVIDENCE_PHOTOS,
        "resubmit_needs_note_after": workflow.RESUBMIT_NEEDS_NOTE_AFTER,
    }


def test_version_follows_the_content(v, monkeypatch):
    assert vocabulary()["version"] == v["version"]
    monkeypatch.setattr(workflow, "MIN_EVIDENCE_PHOTOS", workflow.MIN_EVIDENCE_PHOTOS + 1)
    assert vocab_mod.vocabulary()["version"] != v["version"]
