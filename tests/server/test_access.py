"""Every read behind a sign-in (issue 16, item 6): without credentials every route but
the public allow-list answers 401; people sign in with a password and a signed cookie;
a bench reads only its own data with signed requests; pending benches are for admins."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from starlette.routing import Route

from station.inventory.access import is_public
from station.inventory.app import create_app
from station.inventory.settings import Settings
from station.inventory.users import COOKIE_NAME
from station.journal.signed_requests import read_authorization
from tests.server.conftest import PASSWORD, Api
from tests.server.signer import BenchSigner, record_id_of

pytestmark = pytest.mark.server
HEX = "a" * 64


def csrf_of(session: requests.Session, url: str) -> str:
    """The CSRF token a signed-in page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', session.get(url + "/", timeout=30).text)
    assert found, "the signed-in home page has a form with the CSRF token"
    return found.group(1)


def concrete(path: str, bench_id: str) -> str:
    """A route's path with its parameters filled in."""
    filled = path.replace("{bench_id}", bench_id)
    return re.sub(r"\{[a-z0-9_]+(:path)?\}", HEX, filled)


def _walk(routes: Iterable[Any]) -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes)
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, route.path


def private_routes(sqlite_url: str) -> list[tuple[str, str]]:
    """Every (method, path) the server routes, outside the allow-list: the API of the
    OpenAPI description and the back office's HTML pages (not in it) alike."""
    app = create_app(Settings(database_url=sqlite_url))
    found = sorted({pair for pair in _walk(app.routes) if not is_public(pair[1])})
    described = {path for path in app.openapi()["paths"] if not is_public(path)}
    assert described <= {path for _, path in found}  # the walk sees at least the API
    return found


def test_every_route_outside_the_allow_list_needs_credentials(
    sqlite_api: Api, sqlite_url: str
) -> None:
    bench = BenchSigner("bench-open")
    sqlite_api.enrol_and_approve(bench)
    assert sqlite_api.post("/v1/records", json=bench.next()).status_code == 201
    routes = private_routes(sqlite_url)
    assert ("GET", "/v1/records/{record_id}") in routes and len(routes) > 12
    for html_page in ("/daily", "/lots", "/lots/{code}", "/machines", "/machines/{ident:path}"):
        assert ("GET", html_page) in routes
    assert ("POST", "/lots") in routes
    for method, path in routes:
        url = sqlite_api.url + concrete(path, bench.bench_id)
        answer = requests.request(method, url, params={"date": "2026-12-01"}, timeout=30)
        assert answer.status_code == 401, (method, path, answer.text[:200])
    # The public exceptions still answer: health, sign-in, the home page, and the
    # verification page of one certificate (an unknown one is a 404 page, not a 401).
    assert requests.get(sqlite_api.url + "/v1/health", timeout=30).status_code == 200
    assert requests.get(sqlite_api.url + "/login", timeout=30).status_code == 200
    home = requests.get(sqlite_api.url + "/", timeout=30)
    assert home.status_code == 200 and 'name="password"' in home.text
    assert "Lots" not in home.text  # without a session: the sign-in form, no inventory
    page = requests.get(f"{sqlite_api.url}/verification/{HEX}", timeout=30)
    assert page.status_code not in (401, 403), page.status_code


def test_curl_of_a_record_or_a_daily_log_without_credentials_gets_401(sqlite_api: Api) -> None:
    bench = BenchSigner("bench-curl")
    sqlite_api.enrol_and_approve(bench)
    envelope = bench.next()
    sqlite_api.post("/v1/records", json=envelope)
    record = f"{sqlite_api.url}/v1/records/{record_id_of(envelope)}"
    log = f"{sqlite_api.url}/v1/benches/{bench.bench_id}/log?date=2026-12-01"
    for url in (record, log, f"{sqlite_api.url}/daily"):
        done = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.stdout == "401", (url, done.stdout)


def test_a_user_signs_in_reads_and_signs_out(sqlite_api: Api) -> None:
    bench = BenchSigner("bench-u")
    sqlite_api.enrol_and_approve(bench)
    envelope = bench.next()
    sqlite_api.post("/v1/records", json=envelope)
    reader = sqlite_api.sign_in("lucie", "lecture")
    cookie = reader.cookies.get(COOKIE_NAME)
    assert cookie and "." in cookie
    path = f"{sqlite_api.url}/v1/records/{record_id_of(envelope)}"
    assert reader.get(path, timeout=30).status_code == 200
    assert reader.get(f"{sqlite_api.url}/v1/disks", timeout=30).status_code == 200
    # A reader is no admin.
    refused = reader.post(f"{sqlite_api.url}/v1/admin/benches/{bench.bench_id}/revoke", timeout=30)
    assert (refused.status_code, refused.json()["error"]) == (403, "admin_only")
    # A forged cookie (another session id with the same signature) is refused.
    session_id, _, mac = cookie.partition(".")
    other_id = session_id[:-1] + ("B" if session_id.endswith("A") else "A")
    forged = requests.get(path, cookies={COOKIE_NAME: f"{other_id}.{mac}"}, timeout=30)
    assert forged.status_code == 401
    # Logging out is a form with the session's CSRF token: without it, nothing happens.
    forged_out = reader.post(f"{sqlite_api.url}/logout", allow_redirects=False, timeout=30)
    assert forged_out.status_code == 403
    assert reader.get(path, timeout=30).status_code == 200
    # After logout the same cookie is worth nothing, even replayed by hand.
    out = reader.post(
        f"{sqlite_api.url}/logout",
        data={"csrf_token": csrf_of(reader, sqlite_api.url)},
        allow_redirects=False,
        timeout=30,
    )
    assert out.status_code == 303
    replayed = requests.get(path, cookies={COOKIE_NAME: cookie}, timeout=30)
    assert (replayed.status_code, replayed.json()["error"]) == (401, "session_ended")


def test_a_wrong_password_gets_the_form_again(sqlite_api: Api) -> None:
    sqlite_api.sign_in("marc", "encadrant")
    answer = requests.post(
        f"{sqlite_api.url}/login",
        data={"username": "marc", "password": "not the password"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in answer.text
    assert COOKIE_NAME not in answer.cookies
    as_json = requests.post(
        f"{sqlite_api.url}/login", json={"username": "nobody", "password": "x"}, timeout=30
    )
    assert (as_json.status_code, as_json.json()["error"]) == (401, "bad_credentials")
    good = requests.post(
        f"{sqlite_api.url}/login", json={"username": "marc", "password": PASSWORD}, timeout=30
    )
    assert good.json() == {"username": "marc", "role": "encadrant"}


def test_the_sign_in_never_redirects_to_another_site(sqlite_api: Api) -> None:
    sqlite_api.sign_in("ana", "lecture")
    answer = requests.post(
        f"{sqlite_api.url}/login",
        data={"username": "ana", "password": PASSWORD, "next": "//evil.example/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.headers["location"] == "/"


def test_a_bench_reads_its_own_data_only(sqlite_api: Api) -> None:
    mine, other = BenchSigner("bench-mine"), BenchSigner("bench-other")
    sqlite_api.enrol_and_approve(mine)
    sqlite_api.enrol_and_approve(other)
    own_record, their_record = mine.next(), other.next()
    sqlite_api.post("/v1/records", json=own_record)
    sqlite_api.post("/v1/records", json=their_record)

    def get(path: str, signer: BenchSigner = mine, signed_path: str | None = None) -> int:
        headers = signer.read_headers(signed_path or path)
        return requests.get(sqlite_api.url + path, headers=headers, timeout=30).status_code

    assert get(f"/v1/benches/{mine.bench_id}") == 200
    assert get(f"/v1/benches/{mine.bench_id}/chain") == 200
    assert get(f"/v1/benches/{mine.bench_id}/log?date=2026-12-01") == 200
    assert get(f"/v1/records/{record_id_of(own_record)}") == 200
    assert get(f"/v1/benches/{other.bench_id}") == 403
    assert get(f"/v1/benches/{other.bench_id}/chain") == 403
    assert get(f"/v1/records/{record_id_of(their_record)}") == 404
    assert get("/v1/disks") == 403  # histories across benches are for people
    # A signature for another path, or a stale one, does not open anything.
    assert (
        get(f"/v1/benches/{mine.bench_id}/chain", signed_path=f"/v1/benches/{mine.bench_id}") == 401
    )
    stale = read_authorization(
        mine.key, "GET", f"/v1/benches/{mine.bench_id}", datetime.now(UTC) - timedelta(hours=1)
    )
    answer = requests.get(
        f"{sqlite_api.url}/v1/benches/{mine.bench_id}", headers={"Authorization": stale}, timeout=30
    )
    assert (answer.status_code, answer.json()["error"]) == (401, "stale_request")


def test_pending_benches_are_shown_to_admins_only(sqlite_api: Api) -> None:
    approved, pending = BenchSigner("bench-ok"), BenchSigner("bench-waiting")
    sqlite_api.enrol_and_approve(approved)
    sqlite_api.post("/v1/benches", json=pending.enrolment("any name <b>at all</b>"))
    supervisor = sqlite_api.sign_in("sup", "encadrant")
    admin = sqlite_api.sign_in("root-admin", "admin")
    seen_by_supervisor = supervisor.get(f"{sqlite_api.url}/daily", timeout=30).text
    seen_by_admin = admin.get(f"{sqlite_api.url}/daily", timeout=30).text
    assert "bench-ok" in seen_by_supervisor and "bench-waiting" not in seen_by_supervisor
    assert "bench-waiting" in seen_by_admin and "<b>at all</b>" not in seen_by_admin
    listed = supervisor.get(f"{sqlite_api.url}/v1/admin/benches", timeout=30)
    assert listed.status_code == 403
    by_admin = admin.get(f"{sqlite_api.url}/v1/admin/benches", timeout=30).json()
    assert {b["bench_id"] for b in by_admin} == {"bench-ok", "bench-waiting"}


def test_user_add_on_the_command_line(sqlite_api: Api, sqlite_url: str) -> None:
    def cli(*argv: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "import sys; from station.inventory.cli import main; "
             "sys.exit(main())", "user", *argv, "--db", sqlite_url, "--password-stdin"],
            input=password + "\n", capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    made = cli("add", "nadia", "--role", "admin")
    assert made.returncode == 0, made.stderr
    assert "nadia (admin)" in made.stdout
    assert cli("add", "nadia", "--role", "lecture").returncode != 0  # taken
    short = cli("add", "paul", "--role", "lecture", password="court")
    assert short.returncode != 0 and "10 characters" in short.stderr
    assert "nadia\tadmin" in cli("list").stdout
    signed_in = requests.post(
        f"{sqlite_api.url}/login", json={"username": "nadia", "password": PASSWORD}, timeout=30
    )
    assert signed_in.json()["role"] == "admin"
