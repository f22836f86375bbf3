"""The server's message catalogs: every id in both languages with the same parameters, every id
a raise site names exists, English is preferred only when asked for, vocabulary follows the
language."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from geo.errors import MissingField, TubanError
from geo.messages import CATALOGS, EN, ZH, BadValue, msg, pick_language, placeholders, problem
from geo.model import Action, Case, Judgment, Programme, State
from geo.roles import Role
from geo.workflow import apply
from geo.workflow.payloads import parse_payload

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# msg("an.id", …) at a raise site; f-string ids (date.{field}) are checked where they are built.
_MSG_CALL = re.compile(r"""\bmsg\(\s*["']([\w.]+)["']""")


def test_every_id_has_both_languages_with_the_same_parameters() -> None:
    assert set(ZH) == set(EN)
    for mid in ZH:
        assert placeholders(ZH[mid]) == placeholders(EN[mid]), mid


def test_english_texts_hold_no_chinese_and_chinese_texts_are_chinese() -> None:
    assert [m for m, t in EN.items() if CJK.search(t)] == []
    # Each zh text says something in Chinese (not a copied English text), bar pure formats.
    assert [m for m, t in ZH.items() if not CJK.search(t) and m != "payload.field"] == []


def test_every_id_named_in_the_code_is_in_the_catalogs() -> None:
    named = set()
    for pkg in ("geo", "storage", "api"):
        for path in (ROOT / pkg).rglob("*.py"):
            named |= set(_MSG_CALL.findall(path.read_text(encoding="utf-8")))
    assert named, "no msg() call found: the scan is broken"
    assert named - set(ZH) == set()


def test_an_unknown_id_fails_at_the_raise_site() -> None:
    with pytest.raises(KeyError):
        msg("no.such.message")


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("zh-CN;q=0.5,en-GB;q=0.7", "en"),
        ("en;q=0", "zh"),
        ("fr-FR,fr;q=0.9", "zh"),
        ("fr,en;q=0.5", "en"),
        ("en;q=abc,zh", "zh"),
        ("", "zh"),
        (None, "zh"),
    ],
)
def test_english_only_when_preferred_to_chinese(header: str | None, lang: str) -> None:
    assert pick_language(header) == lang


def test_vocabulary_and_lists_follow_the_language() -> None:
    m = msg("forbidden.action", roles=[Role.VIEWER, Role.VERIFIER], action=Action.VERIFY)
    assert (
        m.text("zh") == f"{Role.VIEWER.label}、{Role.VERIFIER.label}不能执行“{Action.VERIFY.label}”"
    )
    assert m.text("en") == (
        f"{Role.VIEWER.label_en}, {Role.VERIFIER.label_en} may not “{Action.VERIFY.label_en}”"
    )


def test_an_error_keeps_zh_as_its_message_and_answers_english_when_asked() -> None:
    err = MissingField(msg("import.missing_field", field="图斑编号"), option="field_map")
    assert err.message == "缺少必填字段 图斑编号" and err.message_id == "import.missing_field"
    assert err.told("web", "en") == (
        "The required field 图斑编号 is missing; "
        "set it in the import form's “Field map” (field_map)"
    )
    assert err.told("web") == "缺少必填字段 图斑编号，可在导入表单的“字段映射”（field_map）中指定"
    # An error still written in zh at its raise site stays zh in every language.
    plain = TubanError("尚未翻译")
    assert plain.told("web", "en") == "尚未翻译" and plain.message_id is None


def test_a_value_problem_inside_a_payload_error_is_translated() -> None:
    with pytest.raises(TubanError) as caught:
        parse_payload(Action.VERIFY, {"judgment": "maybe", "reason": "x"})
    err = caught.value
    assert err.message_id == "payload.field"
    assert err.text("en") == "judgment: the judgment must be legal/illegal/other, got 'maybe'"
    assert err.text("zh") == err.message and "核查结论" in err.message


def test_checkers_still_raise_value_errors_with_zh_text() -> None:
    from geo.inputs import money

    with pytest.raises(ValueError, match="金额不能为负数") as caught:
        money(-1)
    assert isinstance(caught.value, BadValue)
    said = problem(caught.value)
    assert not isinstance(said, str) and said.text("en") == "the amount must not be negative"


def test_a_refused_transition_names_state_and_action_in_english() -> None:
    case = Case(id=7, programme=Programme.MINING)
    with pytest.raises(TubanError) as caught:
        apply(case, Action.APPROVE, actor="甲", at=datetime(2019, 11, 1, tzinfo=UTC), payload={})
    assert caught.value.text("en") == (
        f"The polygon is “{State.ISSUED.label_en}”: it cannot be “{Action.APPROVE.label_en}”"
    )


def test_every_language_has_a_catalog() -> None:
    assert set(CATALOGS) == {"zh", "en"}
    assert Judgment.ILLEGAL.label_en  # reason choices use it; the vocabulary must carry English
