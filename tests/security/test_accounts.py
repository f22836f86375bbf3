"""Accounts: a password policy, throttled sign-in, and answers that do not tell which user names
exist, not even by their time."""

from __future__ import annotations

import time

import pytest

from geo import passwords
from tests.api.conftest import PASSWORD


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "至少 10 位"),
        ("1234567890", "过于常见"),
        ("password123!", "过于常见"),
        ("wanglei2024!", "用户名"),
        ("ielgnaw_wanglei", "用户名"),
        ("WangLei1234", "用户名"),
    ],
)
def test_the_policy_refuses_short_common_and_derived_passwords(password, why):
    assert why in (passwords.problem(password, username="wanglei", display_name="王磊") or "")


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("admin", PASSWORD),
        ("admin", "tuban-admin"),  # the demo's accounts
        ("hecha", "tuban-hecha"),
        ("wanglei", "field work 1"),
        ("wanglei", "wanglei's long walk"),
    ],
)
def test_the_policy_accepts_the_demo_and_test_passwords(username, password):
    assert passwords.problem(password, username=username) is None


def test_admins_cannot_set_a_weak_password(client):
    made = client.post(
        "/api/users", json={"username": "wanglei", "password": "12345678", "roles": ["viewer"]}
    )
    assert made.status_code == 422
    same = client.post(
        "/api/users", json={"username": "wanglei", "password": "wanglei", "roles": ["viewer"]}
    )
    assert same.status_code == 422
    ok = client.post(
        "/api/users", json={"username": "wanglei", "password": "field work 1", "roles": ["viewer"]}
    )
    assert ok.status_code == 201
    uid = ok.json()["id"]
    r = client.patch(f"/api/users/{uid}", json={"password": "wanglei2024"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "WEAK_PASSWORD"
    assert "用户名" in r.json()["error"]["message"]


def _login(c, username, password):
    return c.post("/api/auth/login", json={"username": username, "password": password})


def test_repeated_failures_are_throttled_with_retry_after(anon, clock):
    for _ in range(5):
        assert _login(anon, "viewer", "wrong password").status_code == 401
    r = _login(anon, "viewer", PASSWORD)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert int(r.headers["Retry-After"]) == 30
    clock.advance(seconds=31)
    assert _login(anon, "viewer", "wrong again").status_code == 401
    r = _login(anon, "viewer", PASSWORD)
    assert (r.status_code, r.headers.get("Retry-After")) == (429, "60")
    clock.advance(seconds=61)
    assert _login(anon, "viewer", PASSWORD).status_code == 200
    # A success forgets the name's failures; other names were never locked.
    assert _login(anon, "viewer", "wrong password").status_code == 401
    assert _login(anon, "viewer", PASSWORD).status_code == 200


def test_unknown_names_are_throttled_too_and_per_address(anon):
    for _ in range(5):
        assert _login(anon, "nobody", "wrong password").status_code == 401
    assert _login(anon, "nobody", "wrong password").status_code == 429
    for i in range(15):
        assert _login(anon, f"guess{i}", "wrong password").status_code == 401
    # 20 failures from one address: even a right password waits now.
    assert _login(anon, "admin", PASSWORD).status_code == 429


def _mean_seconds(c, username: str, tries: int = 20) -> float:
    start = time.perf_counter()
    for i in range(tries):
        assert _login(c, username, f"wrong password {i}").status_code == 401
    return (time.perf_counter() - start) / tries


def test_an_unknown_name_costs_the_same_time_as_a_known_one(app, anon, monkeypatch):
    from argon2 import PasswordHasher

    from storage.login_throttle import LoginThrottle

    # A hash as costly as production's makes the difference show if the check were skipped.
    app.state.users.hasher = PasswordHasher(time_cost=3, memory_cost=32 * 1024, parallelism=1)
    app.state.users.update(1, by="test", now=app.state.clock(), password=PASSWORD)
    # Failures are still counted (same writes either way); only the lock is lifted.
    monkeypatch.setattr(LoginThrottle, "check", lambda self, keys, now: None)
    _mean_seconds(anon, "admin", 3)  # warm up
    known = _mean_seconds(anon, "admin")
    unknown = _mean_seconds(anon, "nobody-at-all")
    print(f"sign-in failure: known {known * 1e3:.1f} ms, unknown {unknown * 1e3:.1f} ms")
    assert 0.5 < unknown / known < 2, (known, unknown)
