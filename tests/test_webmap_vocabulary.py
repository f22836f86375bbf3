"""The web map copies no rule: every code and label of geo.vocabulary reaches it via /api/meta."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.vocabulary import vocabulary

STATIC = Path(__file__).resolve().parents[1] / "webmap" / "static"

# HTML and DOM words that happen to equal action codes: <button type="submit">, the submit
# event, <input type="file"> and the multipart field "file", a <dialog>'s close event.
ANYWHERE = {"submit", "file", "close"}

_STATES = (
    "issued",
    "verified",
    "approved",
    "rework",
    "filed",
    "penalised",
    "rectified",
    "closed",
    "evidence_collected",
    "submitted",
    "passed",
    "returned",
)
_ACTIONS = (
    "verify",
    "approve",
    "return_verification",
    "annotate",
    "penalise",
    "rectify",
    "reopen",
    "collect_evidence",
    "pass",
    "return",
)

# (file, literal) pairs that may stay, each for a reason that is not a copy of a rule.
ALLOWED: dict[tuple[str, str], str] = {
    # Presentation keyed by code: one fill colour per state (README "State colours").
    **{("labels.js", s): "state colour table" for s in (*_STATES, "found", "stopped")},
    # Presentation keyed by action: submit wording and hints (the fields come from meta).
    **{("form-model.js", a): "submit wording per action" for a in _ACTIONS},
    # A reference-layer kind (docs/api.md) that shares its code and name with a legal reason and
    # a 三调 class: the 参考图层 control's own vocabulary.
    ("labels.js", "facility_farmland"): "reference layer kind",
    ("i18n/zh-CN.js", "设施农用地"): "reference layer kind label (labels.facilityFarmland)",
    # Source files' attribute names (三调/卫片 layers): BZ is 备注 there too.
    ("i18n/zh-CN.js", "备注"): "attribute field BZ of source files (labels.note)",
    # The administrator is the page's own: the 管理 tab, and "admins may take every action"
    # (the server's rule too; /api/meta lists an action's roles without it).
    ("auth.js", "admin"): "admins hold every role",
    ("app-session.js", "admin"): "the 管理 tab shows for admins",
    ("app-tabs.js", "admin"): "the 管理 tab's view name",
    ("app.js", "admin"): "the 管理 view's element id",
    ("panel.js", "admin"): "an action no role is listed for is the administrator's",
    # Permissions of views that are not case actions, so /api/meta does not list them.
    ("tasks.js", "reviewer"): "reviewers see the county's overdue count (GET /api/overdue)",
    ("app-session.js", "verifier"): "field verifiers get the offline task pack after signing in",
    ("indicators.js", "viewer"): "the statistics role writes indicator notes and spending",
    # The 违法 red outline and emphasis are drawn from the judgment (presentation).
    ("map.js", "illegal"): "violation outline",
    ("panel.js", "illegal"): "violation emphasis in the facts",
    # 合并立案 offers the other illegal 图斑 (its own endpoint, POST /api/enforcements).
    ("app-actions.js", "illegal"): "merge candidates for 合并立案",
    # A 立案's 处罚 moves all its 图斑 (its own endpoint, POST /api/enforcements/{id}/penalty).
    ("app-actions.js", "penalise"): "the penalty of a 立案 of several 图斑",
    # Controls the panel places by action: the photo upload, the extent tool of the verify form,
    # the 登记缴款 form for those who may penalise, and the note that names the unblocking step.
    ("panel-photos.js", "add_photo"): "the upload control is add_photo",
    ("panel.js", "add_photo"): "add_photo is the upload control, not a form",
    ("panel.js", "verify"): "the extent tool belongs to the verify form",
    ("panel.js", "penalise"): "payments are recorded by those who may penalise",
    ("panel.js", "annotate"): "the blocked note names the step that lifts it",
    # 动态巡查: the steps GET /api/tasks names (`step`) and the action whose label says each; their
    # deadlines and completion come from the case (milestones), the labels from meta.
    ("patrol-model.js", "stop"): "a step of GET /api/tasks and the action that does it",
    ("patrol-model.js", "report_up"): "the action that does the report step",
    ("patrol-model.js", "reinspect"): "a step of GET /api/tasks (a watched site's next visit)",
    # 举报登记 and the reporter's details are office work with routes of their own (not case
    # actions, so not in /api/meta): who sees the form and the details.
    ("patrol-model.js", "enforcer"): "POST /api/patrol/reports, GET /api/patrol/reports/{id}",
    ("patrol-model.js", "reviewer"): "POST /api/patrol/reports, GET /api/patrol/reports/{id}",
    # The panel shows a patrol case's undone steps as due only on an illegal site (a dismissed
    # finding has nothing left to do), beside its allowed_actions.
    ("panel-patrol.js", "illegal"): "undone steps are due only on an illegal site",
    # 巡查发现 is offered to whoever may take the find action (POST /api/patrol/findings).
    ("patrol-model.js", "find"): "the action a finding is recorded with: its roles see 巡查发现",
}

# Words that are a field's label and the page's own word as well (照片: the photo section).
GENERIC_WORDS = {"照片"}


def _literals(source: str) -> list[str]:
    """String literals (static parts of template literals too) and object keys of a JS source."""
    out: list[str] = []
    i, n = 0, len(source)
    prev = ""  # last significant character, to tell a regex literal from a division
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i)
            i = n if i < 0 else i
            continue
        if source.startswith("/*", i):
            i = source.find("*/", i + 2) + 2
            continue
        if c in "'\"`":
            j, buf, depth = i + 1, [], 0
            while j < n and source[j] != c:
                if source[j] == "\\":
                    buf.append(source[j : j + 2])
                    j += 2
                    continue
                if c == "`" and source.startswith("${", j):
                    out.append("".join(buf))
                    buf, depth = [], 1
                    j += 2
                    while j < n and depth:
                        depth += {"{": 1, "}": -1}.get(source[j], 0)
                        j += 1
                    continue
                buf.append(source[j])
                j += 1
            out.append("".join(buf))
            i, prev = j + 1, c
            continue
        if c == "/" and prev in "(,=:[!&|?{};+-*%<>~^" + "\n":
            j = i + 1
            while j < n and source[j] != "/":
                j += 2 if source[j] == "\\" else 1
            out.append(source[i + 1 : j])  # a regex literal's text counts as a literal
            i, prev = j + 1, "/"
            continue
        m = re.match(r"[\w\u3400-\u9fff$]+", source[i:])
        if m:
            word = m.group(0)
            after = source[i + len(word) :].lstrip(" \t")
            if after.startswith(":") and not after.startswith("::") and prev in "{,\n":
                out.append(word)  # an object key written without quotes
            i += len(word)
            prev = word[-1]
            continue
        if not c.isspace():
            prev = c
        elif c == "\n" and prev in "{,":
            pass
        i += 1
    return out


def _files() -> dict[str, list[str]]:
    files = {p.name: _literals(p.read_text(encoding="utf-8")) for p in sorted(STATIC.glob("*.js"))}
    # The message catalogs hold the page's own words, never the workflow's (those are meta's).
    for p in sorted(STATIC.glob("i18n/*.js")):
        files[f"i18n/{p.name}"] = _literals(p.read_text("utf-8"))
    return files


def _codes_and_labels() -> tuple[set[str], set[str]]:
    v = vocabulary()
    codes: set[str] = set()
    labels: set[str] = set()
    for group in ("states", "actions", "roles", "judgments", "photo_flags"):
        for item in v[group]:
            codes.add(item["code"])
            labels.add(item["label"])
    for j in v["judgments"]:
        for r in j["reasons"]:
            codes.add(r["code"])
            labels.add(r["label"])
    for a in v["actions"]:
        labels.update(f["label"] for f in a["fields"])
    labels.update(f["label"] for f in v["fields"].values())
    labels.update(c["label"] for c in v["land_classes"])
    # Background jobs: the API's kind_label and state_label say them (their codes, "queued",
    # "report", are words the page uses for other things too).
    labels.update(item["label"] for group in ("kinds", "states") for item in v["jobs"][group])
    return codes, labels - GENERIC_WORDS


def test_scanner_reads_literals_keys_templates_and_regexes() -> None:
    src = "const A = { verify: ['issued', \"已下发\"], 'x': `a${b}审核通过` }; const r = /(无证)/;"
    assert _literals(src) == ["verify", "issued", "已下发", "x", "a", "审核通过", "(无证)"]


def test_web_map_holds_no_code_or_label_of_the_vocabulary() -> None:
    codes, labels = _codes_and_labels()
    found = []
    for name, literals in _files().items():
        for lit in literals:
            text = lit.strip()
            if text in ANYWHERE or (name, text) in ALLOWED:
                continue
            if text in codes:
                found.append(f"{name}: code {text!r}")
            elif text in labels:
                found.append(f"{name}: label {text!r}")
    assert not found, "copies of /api/meta's vocabulary:\n" + "\n".join(sorted(set(found)))


def test_web_map_writes_no_guard_threshold() -> None:
    guards = vocabulary()["guards"]
    numerals = {1: "一", 2: "两", 3: "三", 4: "四"}
    found = []
    for name, literals in _files().items():
        for lit in literals:
            for value in set(guards.values()):
                words = [f"{value} 张", f"{value}张", f"{numerals.get(value, value)}次"]
                if any(w in lit for w in words):
                    found.append(f"{name}: {lit!r}")
    for p in sorted(STATIC.glob("*.js")):
        # A threshold compared in code: `photos < 2`, `review_returns >= 2`.
        for m in re.finditer(r"(photo\w*|returns?\w*)\)?\s*[<>]=?\s*\d", p.read_text("utf-8")):
            found.append(f"{p.name}: {m.group(0)!r}")
    assert not found, "guard thresholds written in JS:\n" + "\n".join(found)


@pytest.mark.parametrize("name", ["labels.js", "forms.js", "panel.js"])
def test_named_modules_hold_no_vocabulary(name: str) -> None:
    codes, labels = _codes_and_labels()
    literals = {lit.strip() for lit in _files()[name]}
    allowed = {lit for (f, lit) in ALLOWED if f == name} | ANYWHERE
    assert not (literals & (codes | labels)) - allowed


def test_node_tests_fixture_is_todays_vocabulary() -> None:
    import json

    fixture = STATIC.parent / "tests" / "fixtures" / "meta.json"
    assert json.loads(fixture.read_text("utf-8")) == vocabulary(), (
        "webmap/tests/fixtures/meta.json is stale; regenerate it with: .venv/bin/python -c "
        "'import json; from geo.vocabulary import vocabulary; "
        "print(json.dumps(vocabulary(), ensure_ascii=False, indent=1))' "
        "> webmap/tests/fixtures/meta.json"
    )
