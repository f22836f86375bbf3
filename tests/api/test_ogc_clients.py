"""Real GIS clients nobody here wrote read /ogc from a live server: GDAL's ``ogrinfo`` (OAPIF
driver, and /vsicurl/ which needs HEAD), OWSLib's ``Features``, and QGIS 3.22's OAPIF provider
(Debian's python3-qgis, headless). Each authenticates as a desk client does: GDAL and OWSLib
with a header, QGIS with the key in the landing URL's query string.

Without a client installed its test is skipped, naming the package; in CI (``CI`` set) it
fails instead (.ci/run installs gdal-bin and python3-qgis).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from runtime.logging import ACCESS_LOGGER
from tests import factories
from tests.api.conftest import upload
from tests.conftest import NOW

OGRINFO = shutil.which("ogrinfo")
DEBIAN_PYTHON = Path("/usr/bin/python3")
QGIS_SCRIPT = """
import sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
uri = f"url='{sys.argv[1]}' typename='{sys.argv[2]}' pageSize='{sys.argv[3]}'"
layer = QgsVectorLayer(uri, "t", "OAPIF")
# layer.error().summary() crashes 3.22's bindings: only what it says through isValid().
out = {"valid": layer.isValid()}
if layer.isValid():
    feats = list(layer.getFeatures())
    out.update(count=layer.featureCount(), codes=sorted(f["code"] for f in feats))
print(__import__("json").dumps(out), flush=True)
# 3.22 may crash tearing down its providers offscreen: leave without the teardown.
__import__("os")._exit(0)
"""


def _missing(tool: str, package: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is required in CI (Debian package {package})")
    pytest.skip(f"{tool} not installed (Debian package {package})")


@pytest.fixture
def served(app, client, tmp_path):
    """A batch of three 图斑, a viewer's API key, and the app behind uvicorn on a free port."""
    batch = upload(client, factories.write(factories.squares(3), tmp_path / "ks.gpkg")).json()
    key, _ = app.state.services.api_keys().create("viewer", label="desk", by="t", now=NOW)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    yield {"url": f"http://127.0.0.1:{port}/ogc", "port": port, "key": key, "batch": batch["id"]}
    server.should_exit = True
    thread.join(10)


def _ogrinfo(served, *args: str, key: str | None = None) -> subprocess.CompletedProcess:
    if OGRINFO is None:
        _missing("ogrinfo", "gdal-bin")
    env = {**os.environ, "GDAL_HTTP_HEADERS": f"X-API-Key: {key or served['key']}"}
    return subprocess.run(
        [OGRINFO, "-ro", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_ogrinfo_lists_the_collections(served):
    out = _ogrinfo(served, f"OAPIF:{served['url']}")
    assert out.returncode == 0, out.stderr
    assert "cases" in out.stdout and f"batch-{served['batch']}" in out.stdout
    refused = _ogrinfo(served, f"OAPIF:{served['url']}", key="tbk_wrong")
    assert refused.returncode != 0 and "401" in refused.stderr


def test_ogrinfo_reads_features_in_a_box(served):
    layer = f"batch-{served['batch']}"
    every = _ogrinfo(served, "-al", "-q", f"OAPIF:{served['url']}", layer)
    assert every.returncode == 0, every.stderr
    assert (
        every.stdout.count("OGRFeature(") == 3
        and "code (String) = 130208KS2019Q3001" in every.stdout
    )
    # -spat takes lon/lat in GDAL 3.6: a box around the first square only.
    lon, lat = factories.FENGRUN_LONLAT
    box = [str(v) for v in (lon - 1e-4, lat - 1e-4, lon + 5e-4, lat + 5e-4)]
    boxed = _ogrinfo(served, "-al", "-q", "-spat", *box, f"OAPIF:{served['url']}", layer)
    assert boxed.returncode == 0, boxed.stderr
    assert boxed.stdout.count("OGRFeature(") == 1 and "130208KS2019Q3001" in boxed.stdout


def test_ogrinfo_where_runs_on_the_server_as_cql2(served):
    """GDAL 3.6 sends -where as ``filter=…&filter-lang=cql-text`` for the queryables the
    OpenAPI document lists (read through the same CQL2 parser and whitelist)."""
    layer = f"batch-{served['batch']}"
    where = "code = '130208KS2019Q3002' OR state = 'verified'"
    out = _ogrinfo(
        served, "-al", "-q", "--debug", "on", "-where", where, f"OAPIF:{served['url']}", layer
    )
    assert out.returncode == 0, out.stderr
    assert (
        "filter=" in out.stderr and "Full filter will be evaluated on client side" not in out.stderr
    )
    assert out.stdout.count("OGRFeature(") == 1 and "130208KS2019Q3002" in out.stdout


def test_vsicurl_reads_an_items_page_through_head(served):
    url = f"{served['url']}/collections/batch-{served['batch']}/items?api_key={served['key']}"
    out = _ogrinfo(served, "-so", "-al", f"/vsicurl/{url}")
    assert out.returncode == 0, out.stderr
    assert "Feature Count: 3" in out.stdout
    conn = http.client.HTTPConnection("127.0.0.1", served["port"], timeout=10)
    conn.request("HEAD", url.split(str(served["port"]), 1)[1])
    head = conn.getresponse()
    assert head.status == 200 and head.read() == b""
    assert head.getheader("content-type").startswith("application/geo+json")


def test_owslib_reads_collections_and_items(served):
    features_mod = pytest.importorskip("owslib.ogcapi.features", reason="owslib (PyPI) missing")
    api = features_mod.Features(served["url"], headers={"X-API-Key": served["key"]})
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"cases", f"batch-{served['batch']}"} <= ids
    page = api.collection_items(f"batch-{served['batch']}", limit=2)
    assert page["numberMatched"] == 3 and len(page["features"]) == 2
    filtered = api.collection_items("cases", filter="code LIKE '%003'")
    assert [f["properties"]["code"] for f in filtered["features"]] == ["130208KS2019Q3003"]


def test_owslib_records_a_verification_that_shows_in_the_case_events(app, client, served):
    """OWSLib's Part 4 update (PUT) with an editing key, as a verifier: the workflow records it;
    a stale If-Match is refused (412) and leaves nothing behind."""
    features_mod = pytest.importorskip("owslib.ogcapi.features", reason="owslib (PyPI) missing")
    first = client.get(f"/api/batches/{served['batch']}/features").json()["features"][0]["id"]
    users = {u["username"]: u["id"] for u in client.get("/api/users").json()["data"]}
    r = client.post("/api/assignments", json={"user_id": users["verifier"], "case_ids": [first]})
    assert r.status_code < 300, r.text
    keys = app.state.services.api_keys()
    key, _ = keys.create("verifier", label="desk", by="t", now=NOW, can_edit=True)
    api = features_mod.Features(served["url"], headers={"X-API-Key": key})
    listed = api.collection_items("verification")
    assert [f["id"] for f in listed["features"]] == [first]  # the verifier's one 图斑
    case_id = first
    feature = api.collection_item("verification", case_id)
    feature["properties"].update(judgment="illegal", reason="unlicensed_mining", note="OWSLib")
    assert api.collection_item_update("verification", case_id, json.dumps(feature))
    events = app.state.services.cases.events(case_id)
    assert [e.action for e in events][-1] == "verify"
    assert events[-1].payload["note"] == "OWSLib" and "verifier" in events[-1].actor
    stale = features_mod.Features(served["url"], headers={"X-API-Key": key, "If-Match": '"0"'})
    feature["properties"].update(version=1, judgment="legal", reason="approved")
    with pytest.raises(RuntimeError, match="PreconditionFailed"):
        stale.collection_item_update("verification", case_id, json.dumps(feature))
    assert len(app.state.services.cases.events(case_id)) == len(events)


def _qgis(served, url: str, typename: str, page_size: int = 1000) -> dict:
    if not DEBIAN_PYTHON.exists():
        _missing("python3", "python3")
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import qgis.core"], capture_output=True)
    if probe.returncode != 0:
        _missing("qgis.core", "python3-qgis")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)  # Debian's python3 with its own packages, not the venv's
    out = subprocess.run(
        [DEBIAN_PYTHON, "-c", QGIS_SCRIPT, url, typename, str(page_size)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _item_requests(caplog) -> int:
    """The items requests answered 200 so far, once the server has logged them all (a record
    is written after its response is sent, so the client may be done before it is)."""

    def count() -> int:
        return sum(
            1
            for r in caplog.records
            if r.name == ACCESS_LOGGER
            and r.fields["route"] == "/ogc/collections/{cid}/items"
            and r.fields["status"] == 200
        )

    seen, deadline = -1, time.monotonic() + 5
    while count() != seen and time.monotonic() < deadline:
        seen = count()
        time.sleep(0.5)
    return seen


def test_qgis_opens_a_batch_as_a_layer_with_the_key_in_the_url(served, caplog):
    layer, url = f"batch-{served['batch']}", f"{served['url']}?api_key={served['key']}"
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        got = _qgis(served, url, layer)
    assert got["valid"] and got["count"] == 3
    assert got["codes"] == [f"130208KS2019Q300{i}" for i in (1, 2, 3)]
    one_page = _item_requests(caplog)
    caplog.clear()
    # Two features a page: QGIS follows the next link, the key repeated on it.
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        paged = _qgis(served, url, layer, page_size=2)
    assert paged["codes"] == got["codes"]
    assert _item_requests(caplog) == one_page + 1
    assert not _qgis(served, f"{served['url']}?api_key=tbk_wrong", layer)["valid"]
