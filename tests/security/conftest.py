"""The API fixtures (an app on a fresh store on both backends, clients per role)."""

from tests.api.conftest import anon, app, as_role, client, clock  # noqa: F401
