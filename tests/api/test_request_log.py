"""The access log: one JSON-ready record per request, with a request id that round-trips."""

from __future__ import annotations

import json
import logging

from runtime.logging import ACCESS_LOGGER, JsonLineFormatter
from tests.api.conftest import PASSWORD


def _access(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS_LOGGER]


def test_one_record_per_request_with_route_template_user_status_and_size(client, caplog):
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        r = client.get("/api/cases/987654")
    assert r.status_code == 404
    (record,) = _access(caplog)
    fields = record.fields
    assert fields["route"] == "/api/cases/{case_id}"  # the template, not the raw path
    assert fields["method"] == "GET"
    assert fields["status"] == 404
    assert fields["user"] == "admin"
    assert fields["bytes"] == len(r.content)
    assert 0 <= fields["duration_ms"] < 10_000
    assert fields["request_id"] == r.headers["x-request-id"]


def test_a_safe_incoming_request_id_is_kept_and_echoed(client, caplog):
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        r = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.01_x"})
    assert r.headers["x-request-id"] == "lb-7f3a.01_x"
    assert _access(caplog)[-1].fields["request_id"] == "lb-7f3a.01_x"


def test_an_unsafe_incoming_request_id_is_replaced(anon, caplog):
    hostile = '"}\n{"level":"error","msg":"forged'
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        r = anon.get("/healthz", headers={"X-Request-ID": hostile.replace("\n", " ")})
    rid = r.headers["x-request-id"]
    assert rid != hostile.replace("\n", " ") and len(rid) == 32 and rid.isalnum()
    assert _access(caplog)[-1].fields["request_id"] == rid


def test_the_login_line_holds_no_password_token_or_cookie(anon, caplog):
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        r = anon.post("/api/auth/login", json={"username": "viewer", "password": PASSWORD})
        token = r.json()["token"]
        anon.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    lines = [JsonLineFormatter().format(rec) for rec in _access(caplog)]
    assert len(lines) == 2
    for line in lines:
        assert PASSWORD not in line and token not in line
    me = json.loads(lines[1])
    assert me["user"] == "viewer" and me["route"] == "/api/auth/me" and me["status"] == 200
    login = json.loads(lines[0])
    assert login["user"] is None and login["route"] == "/api/auth/login"


def test_formatter_writes_one_json_line_whatever_the_values(caplog):
    record = logging.LogRecord("tuban.access", logging.INFO, __file__, 1, "x", None, None)
    record.fields = {"route": '/a"\n{"forged": 1}', "user": "张三\u202e"}
    line = JsonLineFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["route"] == '/a"\n{"forged": 1}'
