"""Common 第三次国土调查 (三调) land-class codes with their names, offered when a class is entered.

Not the whole classification (docs/domain.md): the codes a county's 卫片 and 变更调查 work meets
most. Any code matching ``geo.workflow.LAND_CLASS_PATTERN`` is accepted; these are suggestions.
"""

from __future__ import annotations

COMMON_LAND_CLASSES: tuple[tuple[str, str], ...] = (
    ("0101", "水田"), ("0102", "水浇地"), ("0103", "旱地"),
    ("0201", "果园"), ("0202", "茶园"), ("0204", "其他园地"),
    ("0301", "乔木林地"), ("0302", "竹林地"), ("0305", "灌木林地"), ("0307", "其他林地"),
    ("0401", "天然牧草地"), ("0403", "人工牧草地"), ("0404", "其他草地"),
    ("0508", "物流仓储用地"),
    ("0601", "工业用地"), ("0602", "采矿用地"),
    ("0701", "城镇住宅用地"), ("0702", "农村宅基地"),
    ("0809", "公用设施用地"), ("0810", "公园与绿地"),
    ("0901", "特殊用地"),
    ("1001", "铁路用地"), ("1003", "公路用地"), ("1004", "城镇村道路用地"), ("1006", "农村道路"),
    ("1101", "河流水面"), ("1103", "水库水面"), ("1104", "坑塘水面"), ("1107", "沟渠"),
    ("1109", "水工建筑用地"),
    ("1202", "设施农用地"), ("1203", "田坎"), ("1206", "裸土地"), ("1207", "裸岩石砾地"),
)  # fmt: skip

# English names for the English web map (GET /api/meta land_classes[].label_en).
LAND_CLASS_NAMES_EN: dict[str, str] = {
    "0101": "paddy field", "0102": "irrigated land", "0103": "dry land",
    "0201": "orchard", "0202": "tea garden", "0204": "other garden land",
    "0301": "arbor forest", "0302": "bamboo forest", "0305": "shrub forest", "0307": "other forest",
    "0401": "natural grassland", "0403": "artificial grassland", "0404": "other grassland",
    "0508": "logistics and storage land",
    "0601": "industrial land", "0602": "mining land",
    "0701": "urban residential land", "0702": "rural homestead",
    "0809": "public utility land", "0810": "parks and green space",
    "0901": "special-use land",
    "1001": "railway land", "1003": "highway land", "1004": "urban and village roads",
    "1006": "rural road",
    "1101": "river surface", "1103": "reservoir surface", "1104": "pond surface", "1107": "ditch",
    "1109": "hydraulic structure land",
    "1202": "facility farmland", "1203": "field ridge", "1206": "bare soil", "1207": "bare rock",
}  # fmt: skip
