"""CQL2 text filters of OGC API - Features (Part 3), compiled by a whitelist into SQL conditions.

pygeofilter parses the text; this module walks the tree it gives and builds SQLAlchemy
conditions for the few properties a collection offers (``Queryable``), each with the operators
that make sense for it. Values reach the database only as bound parameters: the filter text is
never put into SQL. A property, operator, value or construct not on the list (spatial and
temporal predicates, arithmetic, functions, comparing two properties) is refused with
``FilterError`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pygeofilter import ast
from pygeofilter.parsers.cql2_text import parse
from sqlalchemy import ColumnElement, and_, false, not_, or_, select

from geo.errors import InvalidValue
from geo.model import JUDGMENT_LABELS, PROGRAMME_LABELS, STATE_LABELS
from storage.tables import batches, cases, ref_features
from storage.worklists import overdue_condition

MAX_FILTER = 4000  # characters: a desk client's filter is a line or two
MAX_VALUE = 200

EQUALITY = frozenset({"=", "<>", "in"})
ORDERED = frozenset({"=", "<>", "in", "<", "<=", ">", ">=", "like"})
_COMPARISONS: dict[type, str] = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}


class FilterError(InvalidValue):
    """A filter Tuban does not run: its message names the property or construct refused."""

    code = "INVALID_FILTER"


Condition = Callable[[str, Any], ColumnElement[bool]]


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name: its JSON Schema type, the operators allowed on it, the
    values allowed (enums; a label is taken for its code) and how a test becomes SQL."""

    title: str
    kind: str  # "string" or "boolean"
    ops: frozenset[str]
    condition: Condition
    values: Mapping[str, str] = field(default_factory=dict)
    nullable: bool = False

    def schema(self) -> dict[str, Any]:
        """The property in a queryables JSON Schema."""
        out: dict[str, Any] = {"title": self.title, "type": self.kind}
        if self.values:
            out["enum"] = sorted(set(self.values.values()))
        return out


def _compare(col: Any) -> Condition:
    def build(op: str, v: Any) -> ColumnElement[bool]:
        match op:
            case "=":
                return col == v
            case "<>":
                return col != v
            case "<":
                return col < v
            case "<=":
                return col <= v
            case ">":
                return col > v
            case ">=":
                return col >= v
            case "like":
                return col.like(v, escape="\\")
        raise AssertionError(op)  # only ops a queryable lists reach here

    return build


def _township(op: str, v: Any) -> ColumnElement[bool]:
    # A township is named by its code or its name: either matches.
    if op == "<>":
        return not_(_township("=", v))
    return or_(_compare(cases.c.township_code)(op, v), _compare(cases.c.township_name)(op, v))


def _period(op: str, v: Any) -> ColumnElement[bool]:
    return cases.c.batch_id.in_(select(batches.c.id).where(_compare(batches.c.period)(op, v)))


def _labelled(labels: Mapping[Any, str]) -> dict[str, str]:
    out = {str(k.value): str(k.value) for k in labels}
    out.update({label: str(k.value) for k, label in labels.items()})
    return out


def case_queryables(today: date) -> dict[str, Queryable]:
    """What a filter on 图斑 (a batch's, or the cases collection) may name."""

    def overdue(op: str, v: Any) -> ColumnElement[bool]:
        late = overdue_condition(today)
        return late if (op == "=") == bool(v) else not_(late)

    return {
        "code": Queryable("图斑编号", "string", ORDERED, _compare(cases.c.code)),
        "state": Queryable(
            "状态", "string", EQUALITY, _compare(cases.c.state), _labelled(STATE_LABELS)
        ),
        "judgment": Queryable(
            "核查结论",
            "string",
            EQUALITY,
            _compare(cases.c.judgment),
            _labelled(JUDGMENT_LABELS),
            nullable=True,
        ),
        "township": Queryable(
            "乡镇（代码或名称）", "string", EQUALITY | {"like"}, _township, nullable=True
        ),
        "programme": Queryable(
            "项目", "string", EQUALITY, _compare(cases.c.programme), _labelled(PROGRAMME_LABELS)
        ),
        "period": Queryable("期次（如 2019Q3）", "string", ORDERED, _period),
        "overdue": Queryable("已逾期", "boolean", frozenset({"=", "<>"}), overdue),
    }


def reference_queryables() -> dict[str, Queryable]:
    """What a filter on a reference layer's features may name."""
    return {
        "ident": Queryable("标识", "string", ORDERED, _compare(ref_features.c.ident)),
        "label": Queryable("名称", "string", ORDERED, _compare(ref_features.c.label)),
    }


def compile_cql2(text: str, queryables: Mapping[str, Queryable]) -> ColumnElement[bool]:
    """The SQL condition of a CQL2 text filter; FilterError for anything off the list."""
    if len(text) > MAX_FILTER:
        raise FilterError(f"filter 过长（最多 {MAX_FILTER} 个字符）", field="filter")
    try:
        tree = parse(text)
    except Exception as exc:  # lark's errors: the text is not CQL2
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise FilterError(f"filter 不是有效的 CQL2 文本：{first}", field="filter") from None
    return _Compiler(queryables).node(tree)


def property_equals(
    queryables: Mapping[str, Queryable], name: str, raw: str
) -> ColumnElement[bool]:
    """A queryable given as a query parameter (``?township=丰润镇``, Part 1's parameters per
    property; GDAL 3.6 sends ``-where "township = '丰润镇'"`` so): the same test as the CQL2
    ``township = '丰润镇'``, the value checked the same way."""
    q = queryables[name]
    value: Any = raw
    if q.kind == "boolean":
        value = {"true": True, "1": True, "false": False, "0": False}.get(raw.lower(), raw)
    return _Compiler(queryables).test(name, q, "=", value)


class _Compiler:
    def __init__(self, queryables: Mapping[str, Queryable]) -> None:
        self.queryables = queryables

    def node(self, n: Any) -> ColumnElement[bool]:
        if isinstance(n, ast.And):
            return and_(self.node(n.lhs), self.node(n.rhs))
        if isinstance(n, ast.Or):
            return or_(self.node(n.lhs), self.node(n.rhs))
        if isinstance(n, ast.Not):
            return not_(self.node(n.sub_node))
        if type(n) in _COMPARISONS:
            prop, q = self.prop(n.lhs)
            return self.test(prop, q, _COMPARISONS[type(n)], n.rhs)
        if isinstance(n, ast.In):
            prop, q = self.prop(n.lhs)
            self.allow(prop, q, "in")
            tests = [self.test(prop, q, "=", v) for v in n.sub_nodes]
            either = or_(*tests) if tests else false()
            return not_(either) if n.not_ else either
        if isinstance(n, ast.Like):
            return self.like(n)
        if isinstance(n, ast.IsNull):
            prop, q = self.prop(n.lhs)
            if not q.nullable:
                raise FilterError(f"属性 {prop} 总有值，不能用 IS NULL", field="filter")
            cond = q.condition("=", None)
            return not_(cond) if n.not_ else cond
        raise FilterError(
            f"filter 中不支持 {type(n).__name__}（只支持比较、IN、LIKE、IS NULL 与 AND/OR/NOT）",
            field="filter",
        )

    def prop(self, n: Any) -> tuple[str, Queryable]:
        if not isinstance(n, ast.Attribute):
            raise FilterError("比较的左边应为属性名", field="filter")
        q = self.queryables.get(n.name)
        if q is None:
            known = "、".join(self.queryables)
            raise FilterError(
                f"不能按属性 {n.name[:100]} 过滤；可用：{known}", field="filter", property=n.name
            )
        return n.name, q

    @staticmethod
    def allow(prop: str, q: Queryable, op: str) -> None:
        if op not in q.ops:
            raise FilterError(f"属性 {prop} 不支持运算 {op.upper()}", field="filter", property=prop)

    def test(self, prop: str, q: Queryable, op: str, raw: Any) -> ColumnElement[bool]:
        self.allow(prop, q, op)
        return q.condition(op, self.value(prop, q, raw))

    @staticmethod
    def value(prop: str, q: Queryable, raw: Any) -> Any:
        if q.kind == "boolean":
            if raw in (0, 1) and not isinstance(raw, float):  # GDAL sends a boolean field as 0/1
                return bool(raw)
            if not isinstance(raw, bool):
                raise FilterError(f"属性 {prop} 的值应为 true 或 false", field="filter")
            return raw
        if not isinstance(raw, str) or len(raw) > MAX_VALUE:
            raise FilterError(
                f"属性 {prop} 的值应为不超过 {MAX_VALUE} 字的文本（加单引号）",
                field="filter",
                property=prop,
            )
        if q.values:
            if raw not in q.values:
                allowed = "、".join(sorted(set(q.values.values())))
                raise FilterError(
                    f"属性 {prop} 没有值 {raw}；可用：{allowed}", field="filter", property=prop
                )
            return q.values[raw]
        return raw

    def like(self, n: Any) -> ColumnElement[bool]:
        prop, q = self.prop(n.lhs)
        self.allow(prop, q, "like")
        if n.nocase:
            raise FilterError("不支持不区分大小写的 LIKE", field="filter")
        pattern = self.value(prop, q, n.pattern)
        cond = q.condition("like", pattern)
        return not_(cond) if n.not_ else cond
