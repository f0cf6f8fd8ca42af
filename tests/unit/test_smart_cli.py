"""`station smart` on an image file: smartctl really runs and finds no SMART there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from station.cli import main


def test_an_image_file_has_no_smart_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("smartctl") is None:
        pytest.skip("smartctl is not installed (scripts/install-system-deps.sh)")
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(1024 * 1024))
    code = main(["smart", str(image), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 6
    assert out["verdict"]["verdict"] == "NOT_SUPPORTED"
    assert out["commands"][0]["argv"][0] == "smartctl"
    # The assessment is a signed record, "unknown" rather than a made-up verdict.
    from station.domain.record import parse_body
    from station.wiring import build_services

    journal = build_services().journal
    (record_id,) = out["record_ids"]
    body = parse_body(journal.get(record_id).body(), sealed=True)  # type: ignore[union-attr]
    assert body.kind == "smart_assessment" and body.verdict == "unknown"  # type: ignore[union-attr]


CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("ata-hdd-healthy-wd20efrx/smartctl-x.txt", 0),
        ("ata-hdd-st3500418as-realloc-304/smartctl-x.json.txt", 3),
        ("ata-hdd-failed-realloc-now-hus724020/smartctl-x.txt", 4),
        ("usb-jmicron-hdd-failed-json/smartctl-a.json.txt", 4),
        ("ata-hdd-st9320423as-passed-read-failure/smartctl-a.txt", 4),
        ("usb-unknown-bridge-rtl9201/smartctl-a.txt", 6),
        ("nvme-healthy-970evoplus/smartctl-a.txt", 0),
    ],
)
def test_a_saved_output_gets_the_same_verdict_and_exit_code(
    case: str,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("STATION_DATA_DIR", str(tmp_path / "data"))
    assert main(["smart", "--from", str(CASES / case), "--json"]) == code
    out = json.loads(capsys.readouterr().out)
    assert out["layout"] == ("json" if ".json" in case else "text")
    assert {0: "PASS", 3: "WARN", 4: "FAIL", 6: "NOT_SUPPORTED"}[code] == out["verdict"]["verdict"]
    # Nothing ran and nothing was recorded: the data directory holds only the CLI's log.
    data = tmp_path / "data"
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*")) == [
        "logs",
        "logs/station.log",
    ]


def test_a_saved_output_in_text_lists_the_reasons_in_french(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "smart",
            "--from",
            str(CASES / "sata-ssd-intel-dcs3500-wearout-85" / "smartctl-x.json.txt"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 3
    assert "usure avancée : 85 %" in out


def test_a_file_that_is_not_smartctl_output_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hdparm = CASES / "sata-ssd-850evo-not-frozen" / "hdparm-I.txt"
    assert main(["smart", "--from", str(hdparm)]) == 2
    assert "n'est pas une sortie de smartctl" in capsys.readouterr().err
    other_json = tmp_path / "id-ctrl.json"
    other_json.write_text((CASES / "nvme-samsung980pro-sanicap0" / "id-ctrl.json.txt").read_text())
    assert main(["smart", "--from", str(other_json)]) == 2
    assert main(["smart", "--from", str(tmp_path / "missing.txt")]) == 2
    assert "impossible de lire" in capsys.readouterr().err
