"""Schemathesis against the published OpenAPI: no server error, and every answer (status,
content type, body) is one the spec documents. Bounded: a few examples per operation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.server.conftest import ADMIN_TOKEN, start_server
from tests.server.server_thread import ServerThread

pytestmark = pytest.mark.server
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'inventory.db'}"
    handle = start_server(url)
    yield handle
    handle.stop()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": f"Bearer {ADMIN_TOKEN}"}],
    ids=["anonymous", "signed-in admin"],
)
def test_the_api_keeps_its_published_promises(
    fuzzed_server: ServerThread, headers: dict[str, str]
) -> None:
    # Driven through schemathesis' Python API rather than its pytest plugin, whose
    # fixture-based loader does not work with pytest 9.
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 15
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(
                base_url=fuzzed_server.url, checks=CHECKS, headers=headers
            )
            statuses.append(response.status_code)

        check()
    # The fuzzing reached the server on every operation, with accepted and refused input.
    assert len(statuses) >= len(operations)
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)
