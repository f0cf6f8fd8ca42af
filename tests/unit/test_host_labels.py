"""A machine's label, found in a real journal by its serial, its asset tag, or one of
its disks (the screen prints a label for the machine a finished disk was recorded in)."""

from __future__ import annotations

from pathlib import Path

from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.certificate import all_records
from station.reports.host_labels import host_key_of_disk, host_label


def test_label_by_serial_tag_or_disk(tmp_path: Path) -> None:
    key = load_or_create_bench_key(tmp_path / "keys", bench_id="bench-labels")
    with Journal(tmp_path / "journal.sqlite3", key) as journal:
        journal.append(sample_body("host_inventory"))  # LENOVO PF0ABCDE, firmware identity
        tagged = sample_body("host_inventory")
        tagged["host"] = {"asset_tag": "EPN-0042", "identified_by": "asset_tag"}
        tagged["disks"] = [{**tagged["disks"][0], "serial": "S3Z9NB0K123456L"}]
        journal.append(tagged)
        records = all_records(journal)
    by_serial = host_label(records, "pf0abcde", None)
    assert by_serial is not None and by_serial.model == "LENOVO 20HES0JQ00"
    by_tag = host_label(records, "EPN-0042", "http://inventory")
    assert by_tag is not None and by_tag.asset_tag == "EPN-0042" and by_tag.serial == "-"
    assert by_tag.qr.startswith("station:record:")  # no serial: the record, not the server
    assert host_key_of_disk(records, "WD-WCC4N0000001") == "PF0ABCDE"
    assert host_key_of_disk(records, "S3Z9NB0K123456L") == "EPN-0042"
    assert host_key_of_disk(records, "UNKNOWN") is None
    assert host_label(records, "NOPE", None) is None
