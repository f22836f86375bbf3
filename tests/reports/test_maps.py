"""Folium report maps built from the document's FeatureCollections, fully offline."""

from __future__ import annotations

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
    assert "火石营镇" in part.script and "KS2019-0035" in part.script
    assert count_color(6, 6) != count_color(1, 6) != count_color(0, 6)
    assert f"#{m.get_name()}" in part.style  # the map's own size rule, nothing page-wide


def test_overdue_markers_carry_days_overdue():
    part = fragment(overdue_map(mining_maps()))
    assert part.script.count("L.circleMarker(") == 2
    assert "逾期 31 天（期限 2019-11-30）" in part.script


def test_a_default_folium_page_would_be_caught():
    """The offline check can fail: folium's own output links its CDNs."""
    import folium

    assert RESOURCE.findall(folium.Map(tiles=None).get_root().render())
