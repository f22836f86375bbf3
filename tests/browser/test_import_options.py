"""The admin's import form offers the CLI's read options, and a refusal names the form field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyogrio

from tests import factories
from tests.browser.support import PageProbe, open_app, shot

CLI_FLAGS = ("--field-map", "--layer", "--encoding", "--crs")


def _fill(form: Any, src: Path, period: str) -> None:
    form.get_by_test_id("import-file").set_input_files(str(src))
    form.get_by_test_id("import-programme").select_option("mining")
    form.get_by_test_id("import-period").fill(period)
    form.get_by_test_id("import-issued-on").fill("2018-05-10")
    form.get_by_test_id("import-due-on").fill("2018-06-30")


def _refused(page: Any, form: Any, *, names: str) -> None:
    """Submit, and wait for the refusal that names form field ``names``."""
    form.get_by_test_id("import-submit").click()
    alert = page.get_by_test_id("import-alert").filter(has_text=names)
    alert.wait_for()
    text = alert.inner_text()
    assert "导入失败" in text and "未写入" in text
    assert not any(flag in text for flag in CLI_FLAGS), text


def _imported(page: Any, form: Any, n: int) -> None:
    form.get_by_test_id("import-submit").click()
    page.get_by_test_id("import-status").filter(has_text=f"{n} 个图斑").wait_for()


def test_the_form_takes_a_field_map_and_a_layer_and_its_refusals_name_them(
    desktop: tuple[Any, PageProbe], server_url: str, artifacts: Path, tmp_path: Path
) -> None:
    page, probe = desktop
    open_app(page, server_url, "admin")
    page.get_by_test_id("tab-admin").click()
    form = page.get_by_test_id("import-form")

    # The 图斑编号 column under a name no alias knows, far from the demo's 图斑.
    unnamed = factories.squares(2, step=900).rename(columns={"TBBH": "编号X"})
    unnamed["geometry"] = unnamed.translate(xoff=-20_000)
    src = factories.write(unnamed, tmp_path / "unnamed.gpkg")
    _fill(form, src, "2018Q2")
    _refused(page, form, names="字段映射")
    form.get_by_test_id("import-field-map").fill("图斑编号: 编号X")
    _imported(page, form, 2)
    shot(page, artifacts, "import-field-map")

    # Two polygon layers: which one to read is the 图层 field's.
    two = tmp_path / "two.gpkg"
    for name, n in (("矿山", 2), ("土地", 3)):
        f = factories.squares(n, step=900)
        f["geometry"] = f.translate(xoff=-25_000)
        pyogrio.write_dataframe(f, two, layer=name, append=two.exists())
    form.get_by_test_id("import-field-map").fill("")
    _fill(form, two, "2018Q3")
    _refused(page, form, names="图层")
    form.get_by_test_id("import-layer").fill("土地")
    _imported(page, form, 3)
    probe.assert_clean()
