"""The journal on a stick that can be pulled (station.journal.holding): records held in
memory while the stick is out, written in order when the same journal is back, refused
on another one; and the commands, which cannot wait, refuse new work in French."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from station.errors import JournalError
from station.journal.chain import decode_payload
from station.journal.head import ChainHead, read_head
from station.journal.holding import HoldingJournal, JournalHeld, WrongStick
from station.journal.keys import BenchKey, generate_key
from station.journal.samples import sample_body
from station.journal.store import Journal


class Stick:
    """The stick's presence as the journal sees it (the device node, on the bench)."""

    def __init__(self) -> None:
        self.present = True


@pytest.fixture
def key() -> BenchKey:
    return generate_key("bench-unit")


def test_records_wait_in_memory_and_reach_the_journal_in_order(tmp_path: Path, key) -> None:
    stick = Stick()
    journal = HoldingJournal(tmp_path / "j.sqlite3", key, medium_present=lambda: stick.present)
    first = journal.append(sample_body("disk_seen"))
    stick.present = False
    held = journal.append_many([sample_body("smart_assessment"), sample_body("disk_seen")])
    assert journal.holding and journal.held_count() == 2
    assert [r.seq for r in held] == [2, 3] and held[0].envelope_prev() == first.digest
    with pytest.raises(JournalHeld) as caught:
        journal.count()
    assert "rien n'est perdu" in caught.value.one_line_in("fr")
    stick.present = True
    assert journal.resume() == 2
    assert not journal.holding and journal.count() == 3
    assert [decode_payload(e)["record_id"] for e in journal.export_chain()] == [
        first.record_id,
        *(r.record_id for r in held),
    ]
    journal.verify()


def test_records_added_meanwhile_by_a_command_are_kept_and_the_held_ones_follow(
    tmp_path: Path, key
) -> None:
    stick = Stick()
    path = tmp_path / "j.sqlite3"
    journal = HoldingJournal(path, key, medium_present=lambda: stick.present)
    journal.append(sample_body("disk_seen"))
    with Journal(path, key) as other:  # `station smart` on tty2, just before the pull
        other.append(sample_body("smart_assessment"))
    stick.present = False
    journal.append(sample_body("disk_seen"))
    stick.present = True
    assert journal.resume() == 1
    assert journal.count() == 3
    journal.verify()


def test_another_benchs_journal_is_refused_and_nothing_is_lost(tmp_path: Path, key) -> None:
    stick = Stick()
    path = tmp_path / "j.sqlite3"
    journal = HoldingJournal(path, key, medium_present=lambda: stick.present)
    journal.append(sample_body("disk_seen"))
    stick.present = False
    journal.append(sample_body("disk_seen"))
    journal.let_go()
    kept = path.with_suffix(".kept")
    path.rename(kept)
    other_key = generate_key("bench-other")
    Journal(path, other_key).close()  # the same place, another bench's stick
    stick.present = True
    with pytest.raises(WrongStick) as caught:
        journal.resume()
    assert "ce n'est pas la clé Station de ce banc" in caught.value.one_line_in("fr")
    assert journal.holding and journal.held_count() == 1
    path.unlink()
    with pytest.raises(WrongStick):
        journal.resume()  # no journal at all on it
    kept.rename(path)
    assert journal.resume() == 1 and journal.count() == 2


def test_a_command_refuses_new_work_in_french_when_the_stick_is_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from station.cli import main

    monkeypatch.setenv("STATION_DATA_DEVICE", str(tmp_path / "sdb3"))  # gone
    monkeypatch.setenv("STATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STATION_LANG", "fr")
    assert main(["smart", "/dev/nothing-here"]) == JournalError.exit_code
    err = capsys.readouterr().err
    assert "(le journal et la clé du banc sont dessus) a été retirée. Remettez-la" in err, err
    assert not (tmp_path / "data" / "journal.sqlite3").exists(), "no journal may be made"


# -- the chain head beside the key, at the stick's return (issue 20, live tier) ----------
# A FAT stick pulled right after a head write can come back with that file empty (the
# rename's directory entry was a dirty page; fsck then truncates it), missing, or older.


def bench_key(tmp_path: Path) -> BenchKey:
    from station.journal.keys import load_or_create_bench_key

    return load_or_create_bench_key(tmp_path / "keys")  # a key folder: the head is kept


def damage_head(head: Path, how: str, older: str) -> None:
    if how == "empty":
        head.write_bytes(b"")
    elif how == "missing":
        head.unlink()
    else:  # "stale": the head of an earlier record, valid but behind the journal
        head.write_text(older, encoding="utf-8")


@pytest.mark.parametrize("held", [0, 2])
@pytest.mark.parametrize("how", ["empty", "missing", "stale"])
def test_the_return_saves_the_head_again_from_the_checked_journal(
    tmp_path: Path, how: str, held: int
) -> None:
    stick = Stick()
    key = bench_key(tmp_path)
    journal = HoldingJournal(tmp_path / "j.sqlite3", key, medium_present=lambda: stick.present)
    journal.append(sample_body("disk_seen"))
    head = journal.head_file
    assert head is not None
    older = head.read_text(encoding="utf-8")
    journal.append_many([sample_body("smart_assessment"), sample_body("disk_seen")])
    stick.present = False
    journal.append_many([sample_body("disk_seen")] * held)
    damage_head(head, how, older)
    stick.present = True
    assert journal.resume() == held
    tip = journal.tip()
    assert tip is not None and tip.seq == 3 + held
    assert read_head(head) == ChainHead(key.bench_id, tip.seq, tip.digest)
    journal.verify()
    # The head still does its job: the newest record deleted is noticed.
    with sqlite3.connect(journal.path) as db:
        db.execute("DELETE FROM outbox WHERE seq = ?", [tip.seq])
        db.execute("DELETE FROM records WHERE seq = ?", [tip.seq])
    with pytest.raises(JournalError, match="records were deleted"):
        journal.verify()


def test_a_head_already_unreadable_at_start_is_left_for_the_supervisor(tmp_path: Path) -> None:
    """This process never saw a good head: it cannot vouch that the journal was not cut
    before it started, so the return does not replace the file (`journal check` says
    what to do), and the held records are written all the same."""
    stick = Stick()
    key = bench_key(tmp_path)
    with Journal(tmp_path / "j.sqlite3", key) as before:
        before.append(sample_body("disk_seen"))
    head = before.head_file
    assert head is not None
    head.write_bytes(b"")
    journal = HoldingJournal(tmp_path / "j.sqlite3", key, medium_present=lambda: stick.present)
    journal.append(sample_body("disk_seen"))
    stick.present = False
    journal.append(sample_body("disk_seen"))
    stick.present = True
    assert journal.resume() == 1 and journal.count() == 3
    assert head.read_bytes() == b""
    with pytest.raises(JournalError, match="reseal-head"):
        journal.verify()


def test_a_head_write_syncs_the_file_its_folder_and_the_renamed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No FAT here to pull: what is synced is watched instead. On vfat the renamed file's
    directory entry only reaches the stick with an fsync of the file itself."""
    import os

    from station.journal import head as head_module

    synced: list[str] = []
    real_fsync = os.fsync

    def watch(descriptor: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", watch)  # the head module calls os.fsync
    path = tmp_path / "chain-head.json"
    assert head_module.write_head(path, ChainHead("bench-unit", 4, "ab" * 32))
    assert synced == [str(path) + ".tmp", str(tmp_path), str(path)]
    assert read_head(path) == ChainHead("bench-unit", 4, "ab" * 32)
    assert not path.with_name(path.name + ".tmp").exists()
