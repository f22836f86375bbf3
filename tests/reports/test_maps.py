"""Folium report maps built from the document's FeatureCollections, fully offline."""

from __future__ import annotations

import json
import re

from tests.reports.docs import live_doc
from tests.reports.test_html import RESOURCE
from webmap.report_maps import (
    count_color,
    fragment,
    illegal_map,
    leaflet_inline,
    overdue_map,
    standalone_html,
)


def layers(script: str) -> list[dict]:
    """The FeatureCollections folium embedded in a map's script."""
    return [json.loads(m) for m in re.findall(r"_add\((\{.*\})\);", script)]


def tips(script: str) -> list[str]:
    return [f["properties"]["tip"] for fc in layers(script) for f in fc["features"]]


def mining_maps():
    return live_doc()["projects"][1]["maps"]


def test_empty_collections_make_no_map():
    empty = live_doc()["projects"][0]["maps"]
    assert illegal_map(empty) is None and overdue_map(empty) is None
    assert illegal_map({}) is None


def test_standalone_map_is_offline():
    page = standalone_html(illegal_map(mining_maps()), "违法图斑")
    assert RESOURCE.findall(page) == []
    assert "<script src" not in page and "<link" not in page
    css, _js = leaflet_inline()
    assert "url(images/" not in css and "data:image/png;base64," in css
    assert "L.tileLayer(" not in fragment(illegal_map(mining_maps())).script  # no basemap


def test_choropleth_colours_follow_counts():
    m = illegal_map(mining_maps())
    part = fragment(m)
    assert f"#{m.get_name()}" in part.style  # the map's own size rule, nothing page-wide
    towns, polygons, dots = layers(part.script)
    assert [f["properties"]["name"] for f in towns["features"]] == [
        "丰润镇", "任各庄镇", "王官营镇", "火石营镇"]
    assert "火石营镇：违法图斑 6 个，31.5 亩" in tips(part.script)
    assert {f["geometry"]["type"] for f in polygons["features"]} == {"Polygon"}
    assert {f["geometry"]["type"] for f in dots["features"]} == {"Point"}
    assert "KS2019-0035 · 火石营镇 · 已立案 · 18.9 亩" in tips(part.script)
    assert count_color(6, 6) != count_color(1, 6) != count_color(0, 6)


def test_overdue_markers_carry_days_overdue():
    part = fragment(overdue_map(mining_maps()))
    _towns, dots = layers(part.script)
    assert [f["properties"]["case_id"] for f in dots["features"]] == [21, 38]
    assert "WP2019-0021 · 任各庄镇 · 逾期 31 天（期限 2019-11-30）" in tips(part.script)


def test_missing_properties_do_not_break_tooltips():
    maps = mining_maps()
    for f in maps["townships"]["features"]:
        f["properties"].pop("illegal_area_mu")
    maps["overdue"]["features"][0]["properties"] = None
    assert "丰润镇：违法图斑 3 个，0 亩" in tips(fragment(illegal_map(maps)).script)
    assert fragment(overdue_map(maps)).script


def test_a_default_folium_page_would_be_caught():
    """The offline check can fail: folium's own output links its CDNs."""
    import folium

    assert RESOURCE.findall(folium.Map(tiles=None).get_root().render())
