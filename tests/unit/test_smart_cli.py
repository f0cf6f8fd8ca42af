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
