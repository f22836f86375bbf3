"""The HTML report: every indicator, the live/frozen banner, charts, maps, nothing remote."""

from __future__ import annotations

import html
import json
import re

from tests.reports.conftest import indicator_names

# Anything the browser would fetch by itself: resource tags' src/href, CSS url() and @import.
# Plain <a href> links (Leaflet's attribution) are navigation, not loads.
RESOURCE = re.compile(
    r"""<(?:script|link|img|iframe|source|embed|object|video|audio|image|use)\b[^>]*?"""
    r"""\b(?:src|href|data|poster|xlink:href)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import\s+(?:url\()?["']?\s*(?:https?:)?//""",
    re.I,
)


def page(rendered, name: str) -> str:
    return rendered(name, "html").decode("utf-8")


def test_every_indicator_and_value_is_shown(rendered, docs):
    text = html.unescape(page(rendered, "live"))
    for name in indicator_names(docs["live"]):
        assert name in text
    assert "按期核查率 92.5%（按期核查 37 / 40）" in text
    assert "3 个图斑因道路阻断延期核查" in text
    assert "违法占用耕地比例 12.4%，接近 15% 问责线" in text
    assert "附件：专家评审意见.pdf" in text


def test_targets_page_shows_the_seed_columns(rendered, docs):
    text = html.unescape(page(rendered, "targets"))
    assert "矿山卫片执法绩效目标表" in text and "指标值确定依据" in text
    assert "实际完成值" not in text
    assert "对违法行为立案查处到位" in text  # a 指标值确定依据 cell
    assert 'rowspan="3">产出指标' in text


def test_banner_and_differences(rendered):
    live = html.unescape(page(rendered, "live"))
    frozen = html.unescape(page(rendered, "frozen"))
    assert 'class="banner live">实时数据：数值截至 2019-12-31' in live
    assert "冻结快照与实时数据的差异" not in live
    assert 'class="banner frozen">冻结快照「2019年第三季度」' in frozen
    diff = frozen.split("冻结快照与实时数据的差异", 1)[1].split("</table>", 1)[0]
    assert "80.0%（已立案 8 / 10）" in diff and "90.0%（已立案 9 / 10）" in diff
    assert "已举证 64 / 下发 120" in diff


def test_charts_are_inline_svg(rendered):
    text = page(rendered, "live")
    assert text.count('class="chart spending-chart"') == 3
    assert text.count('class="chart trend-chart"') == 3
    assert '<rect class="bar actual_pct"' in text
    assert '<polyline class="trend-line"' in text


def test_maps_are_folium_with_inlined_leaflet(rendered):
    text = page(rendered, "live")
    assert text.count('class="folium-map"') == 2  # mining: illegal + overdue
    assert "L.map(" in text and "WP2019-0011" in text
    assert json.dumps("逾期 31 天")[1:-1] in text  # folium writes JSON with \\u escapes
    assert "t.version=\"1.9.4\"" in text  # the vendored Leaflet, not folium's CDN 1.9.3
    assert "html, body {" not in text  # folium's full-page styles stay out of the report


def test_no_external_resources(rendered):
    for name in ("live", "frozen", "targets"):
        text = page(rendered, name)
        assert RESOURCE.findall(text) == [], name
        assert "cdn.jsdelivr" not in text and "code.jquery" not in text


def test_resource_pattern_catches_cdn_links():
    for bad in ('<script src="https://cdn.jsdelivr.net/x.js">', "<link href='//cdn/x.css'>",
                "background: url(https://t/x.png)", '@import "http://x/y.css"'):
        assert RESOURCE.search(bad), bad
    assert not RESOURCE.search('<svg xmlns="http://www.w3.org/2000/svg">')
    assert not RESOURCE.search('<a href="https://leafletjs.com">Leaflet</a>')


def test_department_goals_and_safeguards(rendered, docs):
    text = html.unescape(page(rendered, "live"))
    dept = docs["live"]["department"]
    for goal in dept["overall_goals"] + dept["sub_goals"]:
        assert f"<li>{goal}</li>" in text
    assert "三、工作保障措施" in text and dept["safeguards"][0]["title"] in text
