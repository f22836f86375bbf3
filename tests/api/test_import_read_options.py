"""The web import takes the CLI's read options (field map, layer, encoding, CRS) as form fields,
and its refusals name those fields, not the CLI's options."""

from __future__ import annotations

import json

import pyogrio
import pytest
from typer.testing import CliRunner

from tests import factories
from tests.api.conftest import upload
from tests.api.test_jobs import _import
from tests.test_cli import META
from tuban_cli.main import app as cli

CLI_FLAGS = ("--field-map", "--layer", "--encoding", "--crs")


def _unnamed(tmp_path):
    """Squares whose 图斑编号 column has a name no alias knows."""
    f = factories.squares(2).rename(columns={"TBBH": "编号X"})
    return factories.write(f, tmp_path / "unnamed.gpkg")


def _refusal(r) -> dict:
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert not any(flag in err["message"] for flag in CLI_FLAGS), err["message"]
    return err


def test_a_missing_field_names_the_forms_field_map(client, tmp_path):
    err = _refusal(upload(client, _unnamed(tmp_path)))
    assert err["code"] == "IMPORT_MISSING_FIELD"
    assert "“字段映射”（field_map）" in err["message"]
    assert err["details"]["option"] == "field_map" and "编号X" in err["details"]["columns"]


@pytest.mark.parametrize("mapping", ["图斑编号: 编号X", '{"图斑编号": "编号X"}', "code: 编号X\n"])
def test_the_field_map_is_lines_as_in_a_mapping_file_or_json(client, tmp_path, mapping):
    r = upload(client, _unnamed(tmp_path), field_map=mapping)
    assert r.status_code == 201, r.text
    assert r.json()["feature_count"] == 2 and r.json()["report"]["fields"]["code"] == "编号X"


@pytest.mark.parametrize(
    "mapping",
    [
        "图斑编号",  # no source column
        "[编号X]",
        "- a\n- b",
        "a: &x [1, 2]\nb: [*x, *x]",  # nested values name no column
        "图斑编号: [编号X]",
    ],
)
def test_a_field_map_that_is_no_mapping_is_refused_naming_the_field(client, tmp_path, mapping):
    err = _refusal(upload(client, _unnamed(tmp_path), field_map=mapping))
    assert err["details"]["field"] == "field_map" and "字段映射" in err["message"]


def test_a_file_of_two_layers_names_the_forms_layer_and_takes_it(client, tmp_path):
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(factories.squares(2), path, layer="矿山")
    pyogrio.write_dataframe(factories.squares(3, step=700), path, layer="土地", append=True)
    err = _refusal(upload(client, path))
    assert "“图层”（layer）" in err["message"] and err["details"]["layers"] == ["矿山", "土地"]
    r = upload(client, path, layer="土地")
    assert r.status_code == 201, r.text
    assert r.json()["feature_count"] == 3 and r.json()["report"]["layer"] == "土地"
    err = _refusal(upload(client, path, layer="林地", period="2019Q4"))
    assert "林地" in err["message"] and "“图层”（layer）" in err["message"]


def test_encoding_and_crs_are_taken_and_named(client, tmp_path, squares_gpkg):
    err = _refusal(upload(client, squares_gpkg, encoding="KLINGON"))
    assert "“编码”（encoding）" in err["message"]
    err = _refusal(upload(client, squares_gpkg, crs="EPSG:99999999"))
    assert "“坐标系”（crs）" in err["message"]
    r = upload(client, squares_gpkg, crs="EPSG:4527", encoding="UTF-8")
    assert r.status_code == 201, r.text
    assert r.json()["report"]["crs_how"] == "given" and r.json()["report"]["encoding"]


def test_an_import_job_names_the_forms_field_too(client, tmp_path):
    job = _import(client, _unnamed(tmp_path)).json()
    assert job["state"] == "failed" and "“字段映射”（field_map）" in job["error"]
    assert not any(flag in job["error"] for flag in CLI_FLAGS)
    job = _import(client, _unnamed(tmp_path), field_map="图斑编号: 编号X").json()
    assert job["state"] == "succeeded", job["error"]


def test_the_command_line_names_its_own_option(tmp_path):
    r = CliRunner().invoke(
        cli, ["import", str(_unnamed(tmp_path)), *META, "--db", str(tmp_path / "x.sqlite")]
    )
    assert r.exit_code == 2 and "可用 --field-map 指定" in r.output
    assert "字段映射”（field_map）" not in r.output
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"图斑编号": "编号X"}), encoding="utf-8")
    r = CliRunner().invoke(
        cli,
        ["import", str(_unnamed(tmp_path)), *META, "--db", str(tmp_path / "x.sqlite"),
         "--field-map", str(mapping)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
