"""`station verify` and `station journal`: through main([...]) and as a real process."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from station.cli import main
from station.journal.chain import decode_payload
from station.journal.envelope import canonical
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body, sample_kinds
from station.journal.store import Journal

KINDS = len(sample_kinds())  # the journal holds one record of every kind


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with a bench key and a journal of one record of every kind."""
    data = tmp_path / "data"
    monkeypatch.setenv("STATION_DATA_DIR", str(data))
    monkeypatch.delenv("STATION_BENCH_ID", raising=False)
    key = load_or_create_bench_key(data / "keys")
    with Journal(data / "journal.sqlite3", key) as journal:
        journal.append_many(sample_body(kind) for kind in sample_kinds())
    return data


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def export(capsys: pytest.CaptureFixture[str], target: Path) -> list[dict[str, Any]]:
    code, out, _ = run(capsys, "journal", "export", str(target))
    assert code == 0 and f"exported {KINDS} records" in out
    if target.suffix == ".jsonl":
        return [json.loads(line) for line in target.read_text().splitlines()]
    loaded: list[dict[str, Any]] = json.loads(target.read_text())
    return loaded


def public_key_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    code, out, err = run(capsys, "journal", "key")
    assert code == 0 and out.startswith("-----BEGIN PUBLIC KEY-----")
    assert "keyid: " in err and "bench_id: bench-" in err
    path = tmp_path / "bench.pub.pem"
    path.write_text(out)
    return path


def test_an_exported_chain_verifies(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = public_key_file(capsys, tmp_path)
    for name in ("chain.json", "chain.jsonl"):
        export(capsys, tmp_path / name)
        code, out, err = run(capsys, "verify", str(tmp_path / name), "--key", str(pem))
        assert (code, err) == (0, "")
        assert out.startswith(f"valid chain: {KINDS} records of bench-")
        assert f"seq 1 to {KINDS}" in out
        # The functional tests and the grade are shown (docs/functional-tests.md).
        assert "  test Battery: passed\n  grade: B — Good\n" in out
    # Without --key, the bench's own public key is used.
    assert run(capsys, "verify", str(tmp_path / "chain.json"))[0] == 0


def test_journal_check_reports_the_local_chain(
    bench: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "journal", "check")
    assert code == 0 and f"valid chain: {KINDS} records" in out
    assert f"{KINDS} waiting to be sent" in out


def test_each_kind_of_damage_is_named(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = export(capsys, tmp_path / "chain.json")
    pem = public_key_file(capsys, tmp_path)

    def verify(name: str, document: Any, *extra: str) -> tuple[int, str]:
        path = tmp_path / name
        path.write_text(json.dumps(document))
        code, out, err = run(capsys, "verify", str(path), "--key", str(pem), *extra)
        assert (out == "") == (code != 0)
        return code, err.strip()

    altered = json.loads(json.dumps(chain))
    body = decode_payload(altered[4]) | {"operator": "op-99"}
    altered[4]["payload"] = base64.b64encode(canonical(body)).decode()
    assert verify("altered.json", altered) == (
        8,
        "station: altered field (record_id mismatch) at seq 5",
    )
    assert verify("gap.json", chain[:3] + chain[4:]) == (
        8,
        "station: gap: expected seq 4, found 5",
    )
    assert verify("swap.json", [chain[0], chain[2], chain[1], *chain[3:]]) == (
        8,
        "station: out of order: seq 3 comes before seq 2",
    )
    assert verify("partial.json", chain[5:], "--partial")[0] == 0


def test_a_key_that_did_not_sign(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export(capsys, tmp_path / "chain.json")
    other = load_or_create_bench_key(tmp_path / "other-keys")
    (tmp_path / "other.pem").write_text(other.public_pem())
    code, _, err = run(
        capsys, "verify", str(tmp_path / "chain.json"), "--key", str(tmp_path / "other.pem")
    )
    assert code == 8
    assert err.startswith("station: unknown key at seq 1: signed by ")


def test_one_record_and_certificates(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = export(capsys, tmp_path / "chain.json")
    (tmp_path / "one.json").write_text(json.dumps(chain[6]))
    code, out, _ = run(capsys, "verify", str(tmp_path / "one.json"))
    assert code == 0 and out.startswith("valid record: verification seq 7 of bench-")

    picked = [chain[0], chain[5], chain[6]]
    ids = [decode_payload(envelope)["record_id"] for envelope in picked]
    certificate = {"disk": {"serial": "WD-WCC4N0000001"}, "envelopes": picked, "record_ids": ids}
    (tmp_path / "cert.json").write_text(json.dumps(certificate))
    code, out, _ = run(capsys, "verify", str(tmp_path / "cert.json"))
    assert (
        code == 0 and out.startswith("valid certificate: 3 signed records") and "seq 1, 6, 7" in out
    )

    (tmp_path / "cert1.json").write_text(json.dumps({"record": chain[6]}))
    assert run(capsys, "verify", str(tmp_path / "cert1.json"))[0] == 0

    certificate["record_ids"] = ids[::-1]
    (tmp_path / "lying.json").write_text(json.dumps(certificate))
    code, _, err = run(capsys, "verify", str(tmp_path / "lying.json"))
    assert code == 8 and "record_ids do not match" in err

    tampered = json.loads(json.dumps(picked))
    tampered[1]["signatures"][0]["sig"] = tampered[0]["signatures"][0]["sig"]
    (tmp_path / "bad-cert.json").write_text(json.dumps({"envelopes": tampered}))
    code, _, err = run(capsys, "verify", str(tmp_path / "bad-cert.json"))
    assert code == 8 and err.startswith("station: bad signature in certificate record 2")


def test_bad_input_files(bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "verify", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err
    (tmp_path / "text.json").write_text("hello\n")
    code, _, err = run(capsys, "verify", str(tmp_path / "text.json"))
    assert code == 8 and "is not JSON" in err
    (tmp_path / "lines.jsonl").write_text('{"a": 1}\nnot json\n')
    code, _, err = run(capsys, "verify", str(tmp_path / "lines.jsonl"))
    assert code == 8 and "line 2 is not JSON" in err
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    code, _, err = run(capsys, "verify", str(tmp_path / "other.json"))
    assert code == 8 and "not a signed record, a chain or a certificate" in err


def test_without_any_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STATION_DATA_DIR", str(tmp_path / "empty"))
    (tmp_path / "x.json").write_text("[]")
    code, _, err = run(capsys, "verify", str(tmp_path / "x.json"))
    assert code == 2 and "no public key: give the bench's key with --key" in err


def station_command() -> list[str]:
    script = Path(sys.executable).parent / "station"
    if script.exists():
        return [str(script)]
    found = shutil.which("station")
    return (
        [found]
        if found
        else [sys.executable, "-c", "import sys; from station.cli import main; sys.exit(main())"]
    )


def test_verify_as_a_real_process(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = export(capsys, tmp_path / "chain.json")
    pem = public_key_file(capsys, tmp_path)
    good = subprocess.run(
        [*station_command(), "verify", str(tmp_path / "chain.json"), "--key", str(pem)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith(f"valid chain: {KINDS} records")
    (tmp_path / "replayed.json").write_text(json.dumps([*chain, chain[3]]))
    duplicate = subprocess.run(
        [*station_command(), "verify", str(tmp_path / "replayed.json"), "--key", str(pem)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert duplicate.returncode == 8
    assert duplicate.stderr == "station: duplicate record at seq 4\n"
