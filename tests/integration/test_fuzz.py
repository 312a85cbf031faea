"""A bounded schemathesis run over the whole OpenAPI description, in-process against the test
app (its writes land in the test's rolled-back transaction), as staff (an admin's bearer token),
as a citizen (`X-Citizen-Token`) and as another system (`X-API-Key`): no answer may be a 5xx,
and none may break the schema its operation declares. Derandomized, so CI is reproducible."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from urbanops.app import create_app
from urbanops.core.clock import utcnow
from urbanops.core.settings import get_settings
from urbanops.identity import citizens
from urbanops.identity import service as identity
from urbanops.identity.models import Citizen, CitizenSession
from urbanops.identity.roles import Role

from .conftest import PASSWORD, token

EXAMPLES = 12  # per operation and caller: ~40 operations x 3 callers stay well under a minute


@pytest.fixture
def callers(client: TestClient, session: Session) -> dict[str, dict[str, str]]:
    """The headers of each kind of caller: an admin, a signed-in citizen, an API key."""
    identity.create_user(
        session, username="fuzz_admin", password=PASSWORD, display_name="fuzz", roles=[Role.admin]
    )
    person = Citizen(phone="13900009999", nickname="市民9999", created_at=utcnow())
    session.add(person)
    session.flush()
    secret = secrets.token_urlsafe(32)
    session.add(
        CitizenSession(
            token_hash=citizens.keyed_digest("session", secret),
            citizen_id=person.id,
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    session.flush()
    return {
        "staff": token(client, "fuzz_admin"),
        "citizen": {"X-Citizen-Token": secret},
        "api_key": {"X-API-Key": identity.create_api_key(session, "fuzz client")[1]},
    }


def _description() -> dict[str, Any]:
    """The app's OpenAPI description, read once at collection (settings are read again later,
    when the test database is known)."""
    try:
        return create_app().openapi()
    finally:
        get_settings.cache_clear()


# loaded at collection, so that each operation is a test of its own; the calls go to the test
# app of each test (`app=`), whose session is the test's
schema = schemathesis.openapi.from_dict(_description())


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
CHECKS = [not_a_server_error, response_schema_conformance]


@schema.parametrize()
@SETTINGS
def test_fuzz_as_staff(
    case: schemathesis.Case[Any], client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    case.call_and_validate(headers=callers["staff"], checks=CHECKS, app=client.app)


@schema.parametrize()
@SETTINGS
def test_fuzz_as_citizen(
    case: schemathesis.Case[Any], client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    case.call_and_validate(headers=callers["citizen"], checks=CHECKS, app=client.app)


@schema.parametrize()
@SETTINGS
def test_fuzz_with_an_api_key(
    case: schemathesis.Case[Any], client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    case.call_and_validate(headers=callers["api_key"], checks=CHECKS, app=client.app)
