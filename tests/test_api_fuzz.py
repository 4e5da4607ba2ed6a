"""The JSON API under schemathesis: generated requests against every documented operation.

No answer may be a 5xx, and every answer must match what the OpenAPI document says (status
codes, content types, bodies). Cases are signed in with a real API token so the operations
behind authentication are exercised, not just their 401s.
"""

import math
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth

from accounts.tokens import create_token
from tests.support.factories import make_user

# ignored_auth replays a case without credentials, but our explicit header rides along on the
# replay; that every operation refuses anonymous callers is tested directly below instead.
EXCLUDED_CHECKS = [ignored_auth]
TOTAL_CASES = 1000
MIN_PER_OPERATION = 50


@pytest.fixture
def api_token(session) -> str:
    user = make_user(session, "fuzz@example.com", "developer")
    _, secret = create_token(session, user)
    session.commit()
    return secret


def run_operation(operation, examples: int, headers: dict[str, str]) -> int:
    """Run ``examples`` generated cases against one operation; returns how many ran."""
    ran = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        nonlocal ran
        ran += 1
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)

    check()
    return ran


def test_no_generated_request_gets_a_5xx_or_an_undocumented_answer(app, api_token):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the API documents no operations"
    per_operation = max(MIN_PER_OPERATION, math.ceil(TOTAL_CASES / len(operations)))
    headers = {"Authorization": f"Bearer {api_token}"}
    ran = {op.label: run_operation(op, per_operation, headers) for op in operations}
    print(f"schemathesis ran {sum(ran.values())} cases over {len(ran)} operations: {ran}")
    assert all(ran.values())


def test_every_operation_refuses_anonymous_callers(app):
    client = app.test_client()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("security") == []:
            continue  # documented as public
        path = re.sub(r"\{[^}]+\}", "1", operation.path)
        response = client.open(path, method=operation.method.upper())
        assert response.status_code == 401, (operation.label, response.status_code)
