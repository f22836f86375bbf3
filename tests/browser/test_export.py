"""The batch export control in a real browser: a format, 导出, and the file downloaded with the
user's token; a verifier's file holds only the 图斑 they see."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import PageProbe, get_json, open_batch

pytestmark = pytest.mark.browser


def _export(page: Any, fmt: str) -> Any:
    page.get_by_test_id("export-box").wait_for(state="visible")
    page.get_by_test_id("export-format").select_option(fmt)
    with page.expect_download() as info:
        page.get_by_test_id("export-button").click()
    page.get_by_test_id("export-status").filter(has_text="已导出").wait_for()
    return info.value


def test_a_batch_downloads_in_the_chosen_format(desktop: tuple[Any, PageProbe], server_url: str):
    page, probe = desktop
    batch = get_json(f"{server_url}/api/batches")["data"][0]
    open_batch(page, server_url, batch["id"])
    geojson = _export(page, "geojson")
    programme = batch["programme"].replace("_", "-")
    name = f"tuban-batch-{batch['id']}-{programme}-{batch['period']}.geojson"
    assert geojson.suggested_filename == name
    doc = json.loads(Path(geojson.path()).read_text(encoding="utf-8"))
    assert len(doc["features"]) == batch["feature_count"]
    assert {"图斑编号", "办理状态", "核查结果"} <= set(doc["features"][0]["properties"])
    province = _export(page, "province")
    with zipfile.ZipFile(io.BytesIO(Path(province.path()).read_bytes())) as z:
        assert any(n.endswith(".cpg") for n in z.namelist())
    probe.assert_clean()


def test_a_verifier_exports_only_what_they_see(desktop: tuple[Any, PageProbe], server_url: str):
    page, probe = desktop
    batch = get_json(f"{server_url}/api/batches", user="hecha")["data"][0]
    open_batch(page, server_url, batch["id"], user="hecha")
    doc = json.loads(Path(_export(page, "geojson").path()).read_text(encoding="utf-8"))
    seen = get_json(f"{server_url}/api/batches/{batch['id']}/summary", user="hecha")["total"]
    assert len(doc["features"]) == seen
    probe.assert_clean()
