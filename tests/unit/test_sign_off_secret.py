"""Only a supervisor who proves who they are signs the day: `station sign-off` checks
the secret `station supervisor add` stored (as a scrypt hash) in the bench profile,
never says which ids are supervisors, and without the secret writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.domain.bench_profile import BenchProfile
from station.domain.supervisor_secret import hash_secret, secret_matches, supervisor_proven
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.wording import PARIS
from station.yamlfile import load_model

DEMO = Path(__file__).resolve().parents[2] / "profiles" / "bench" / "demo.yaml"


def run(
    tmp: Path, *args: str, stdin: str = "", lang: str = "C.UTF-8"
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "STATION_LANG")
    }
    env.update(
        LANG=lang,
        STATION_DATA_DIR=str(tmp / "data"),
        STATION_INVENTORY_URL="",
        STATION_BENCH_ID="demo-bench",
    )
    env.pop("STATION_BENCH_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True, text=True, input=stdin, env=env, timeout=120,
    )  # fmt: skip


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """The demo bench with formateur-01's secret set by the real command."""
    path = tmp_path / "banc.yaml"
    path.write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    done = run(tmp_path, "supervisor", "add", "formateur-01", "--bench-profile", str(path),
               "--secret-stdin", stdin="4821\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    key = load_or_create_bench_key(tmp_path / "keys", bench_id="demo-bench")
    path = tmp_path / "journal.sqlite3"
    with Journal(path, key) as store:
        store.append(
            sample_body("self_test", operator="stagiaire-01", created_at=datetime.now(UTC))
        )
    return path


def count(journal: Path, tmp_path: Path) -> int:
    with Journal(
        journal, load_or_create_bench_key(tmp_path / "keys", bench_id="demo-bench")
    ) as store:
        return len(
            list(
                store.records_between(
                    datetime(2000, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
                )
            )
        )


def sign(
    tmp: Path,
    bench: Path,
    journal: Path,
    who: str,
    *extra: str,
    stdin: str = "",
    lang: str = "C.UTF-8",
) -> subprocess.CompletedProcess[str]:
    return run(tmp, "sign-off", "--supervisor", who, "--bench-profile", str(bench),
               "--journal", str(journal), "--key-dir", str(tmp / "keys"), *extra,
               stdin=stdin, lang=lang)  # fmt: skip


def test_the_profile_keeps_only_a_slow_salted_hash(bench: Path) -> None:
    text = bench.read_text(encoding="utf-8")
    assert "4821" not in text
    assert "# The demo bench" in text  # the comments survive the edit
    profile = load_model(bench, BenchProfile)
    stored = profile.supervisor_secrets["formateur-01"]
    assert stored.startswith("scrypt$16384$8$1$")
    assert secret_matches("4821", stored) and not secret_matches("4822", stored)
    assert hash_secret("4821") != hash_secret("4821")  # a fresh salt each time
    assert profile.proves("formateur-01", "4821")
    assert not profile.proves("stagiaire-01", "4821")  # an operator is never a signer
    assert not supervisor_proven("formateur-01", "4821", ["formateur-01"], {})  # no secret set


@pytest.mark.parametrize("who", ["stagiaire-01", "formateur-01"])
def test_without_the_secret_nobody_signs_and_nothing_is_written(
    tmp_path: Path, bench: Path, journal: Path, who: str
) -> None:
    before = count(journal, tmp_path)
    done = sign(tmp_path, bench, journal, who)  # stdin is not a terminal, no secret
    assert done.returncode == 5, done.stderr
    assert "nothing was signed" in done.stderr
    assert count(journal, tmp_path) == before


@pytest.mark.parametrize("who", ["stagiaire-01", "formateur-01", "intrus"])
def test_a_wrong_secret_or_id_gets_one_answer_that_names_nobody(
    tmp_path: Path, bench: Path, journal: Path, who: str
) -> None:
    before = count(journal, tmp_path)
    done = sign(tmp_path, bench, journal, who, "--secret-stdin", stdin="0000\n", lang="fr_FR.UTF-8")
    assert done.returncode == 5
    assert done.stderr.strip() == "station: identifiant ou code incorrect : rien n'a été signé"
    assert "formateur" not in done.stderr
    assert count(journal, tmp_path) == before


def test_the_supervisor_signs_with_id_or_badge_and_a_second_one_warns(
    tmp_path: Path, bench: Path, journal: Path
) -> None:
    first = sign(tmp_path, bench, journal, "BADGE-formateur-01", "--secret-stdin",
                 "--comment", "RAS", stdin="4821\n", lang="fr_FR.UTF-8")  # fmt: skip
    assert first.returncode == 0, first.stderr
    day = datetime.now(PARIS).strftime("%d/%m/%Y")
    assert f"{day} visée par formateur-01 : enregistrement n° 2" in first.stdout
    assert "remplace" not in first.stderr
    second = sign(tmp_path, bench, journal, "formateur-01", "--secret-stdin", stdin="4821\n")
    assert second.returncode == 0, second.stderr
    assert "warning: this replaces the sign-off by formateur-01" in second.stderr
    assert count(journal, tmp_path) == 3


def test_cli_messages_follow_lang(tmp_path: Path, bench: Path, journal: Path) -> None:
    out = tmp_path / "log.csv"
    common = ("daily-log", "--format", "csv", "--out", str(out), "--journal", str(journal),
              "--key-dir", str(tmp_path / "keys"))  # fmt: skip
    french = run(tmp_path, *common, lang="fr_FR.UTF-8")
    assert french.returncode == 0, french.stderr
    assert "journal du " in french.stdout and "écrit dans" in french.stdout
    english = run(tmp_path, *common)
    assert "daily log of " in english.stdout
    forced = run(tmp_path, *common, "--lang", "fr")
    assert "écrit dans" in forced.stdout


def test_the_global_lang_option_and_other_commands(tmp_path: Path, journal: Path) -> None:
    # A key of its own: the bench key of `journal` has written records, so an empty
    # journal under that key is a shortened chain (station.journal.head), not "empty".
    empty, keys = str(tmp_path / "empty.sqlite3"), str(tmp_path / "keys-of-empty")
    done = run(tmp_path, "--lang", "fr", "journal", "--journal", empty,
               "--key-dir", keys, "check")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "le journal est vide" in done.stdout
    english = run(tmp_path, "journal", "--journal", empty, "--key-dir", keys, "check")
    assert "the journal is empty" in english.stdout
