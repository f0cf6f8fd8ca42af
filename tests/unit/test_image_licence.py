"""Licence pieces without a disk: MSDM parsing, answer-file editing, the bench key store,
and the Clonezilla directory parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.errors import CommandError, ImageError
from station.imaging.clonezilla import partition_node, read_clonezilla, table_for, used_files
from station.imaging.keystore import KeyStore
from station.imaging.licence import (
    firmware_key,
    key_digest,
    with_product_key,
    with_setup_complete,
)
from tests.block.imaging_support import ANSWER_TEMPLATE, msdm_table

KEY = "ABCDE-12345-FGHIJ-67890-KLMNO"


def test_msdm_key_is_hashed_never_returned(tmp_path: Path) -> None:
    assert firmware_key(tmp_path) is None
    (tmp_path / "MSDM").write_bytes(msdm_table(KEY))
    found = firmware_key(tmp_path)
    assert found is not None and found.key_sha256 == key_digest(KEY)
    assert KEY not in repr(found)
    (tmp_path / "MSDM").write_bytes(b"MSDM" + bytes(20))  # truncated table: no key
    assert firmware_key(tmp_path) is None


BOTH_PASSES = """<unattend xmlns="urn:schemas-microsoft-com:unattend">
  <settings pass="windowsPE"><component name="Microsoft-Windows-Setup">
    <UserData><ProductKey><Key>OLD-PE</Key></ProductKey></UserData></component></settings>
  <settings pass="specialize">
    <component name="Microsoft-Windows-Shell-Setup" language="neutral">
      <ProductKey>OLD-SPECIALIZE</ProductKey></component></settings>
</unattend>
"""
SHELL_NO_KEY = """<unattend xmlns="urn:schemas-microsoft-com:unattend">
  <settings pass="specialize">
    <component name="Microsoft-Windows-Shell-Setup" language="neutral">
      <ComputerName>*</ComputerName></component></settings>
</unattend>
"""


def test_answer_file_key_goes_in_every_pass_and_in_specialize() -> None:
    nested = with_product_key(ANSWER_TEMPLATE, KEY)
    assert f"<Key>{KEY}</Key>" in nested and "AAAAA" not in nested
    # windowsPE never runs on a deployed disk: the key is added to specialize too.
    assert nested.count('pass="specialize"') == 1 and f"<ProductKey>{KEY}</ProductKey>" in nested
    both = with_product_key(BOTH_PASSES, KEY)
    assert "OLD" not in both and both.count(KEY) == 2 and both.count("<settings") == 2
    shell = with_product_key(SHELL_NO_KEY, KEY)
    assert shell.count('pass="specialize"') == 1 and shell.count("<component") == 1
    assert f"<ProductKey>{KEY}</ProductKey>" in shell and "<ComputerName>*" in shell
    added = with_product_key('<unattend xmlns="x">\n</unattend>\n', KEY)
    assert 'pass="specialize"' in added and f"<ProductKey>{KEY}</ProductKey>" in added
    assert f"<ProductKey>{KEY}</ProductKey>" in with_product_key(None, KEY)
    with pytest.raises(CommandError, match="not an answer file"):
        with_product_key("hello", KEY)


def test_setup_complete_installs_the_key_once_with_crlf() -> None:
    first = with_setup_complete(None, KEY)
    assert first.startswith("@echo off\r\n") and f"slmgr.vbs /ipk {KEY}\r\n" in first
    mine = with_setup_complete("@echo off\r\necho atelier\r\n", KEY)
    again = with_setup_complete(mine, "ZZZZZ-12345-FGHIJ-67890-KLMNO")
    assert "echo atelier" in again and KEY not in again and again.count("slmgr") == 1


def test_keystore_gives_each_key_once_and_one_per_device(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.sqlite3")
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    keys = [(key_digest(k), k) for k in (KEY, KEY.replace("A", "Z"))]
    store.add_reserved(keys, product="win", pool="p")
    first = store.take(product="win", pool="p", device_id="PC-1")
    second = store.take(product="win", pool="p", device_id="PC-2")
    assert first != second
    with pytest.raises(ImageError, match="already has key"):
        store.take(product="win", pool="p", device_id="PC-1")
    with pytest.raises(ImageError, match="no reserved win key left"):
        store.take(product="win", pool="p", device_id="PC-3")
    store.assigned(first[0], "{}")
    store.failed(second[0], quarantine=False)
    assert {k.status for k in store.listing()} == {"assigned", "to_return"}
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("keys.sqlite3*"))
    assert first[1].encode() not in raw  # an assigned key is forgotten by the bench
    assert second[1].encode() in raw  # a key to give back is still held


DUMP = """label: gpt
label-id: 1D6B4F7A-0000-4000-8000-000000000001
device: /dev/sda
unit: sectors
first-lba: 34
last-lba: 196574
sector-size: 512

/dev/sda1 : start=        2048, size=       32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
/dev/sda2 : start=       34816, size=      161759, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
"""


def clonezilla(tmp_path: Path) -> Path:
    (tmp_path / "disk").write_text("sda\n")
    (tmp_path / "parts").write_text("sda1 sda2\n")
    (tmp_path / "sda-pt.sf").write_text(DUMP)
    (tmp_path / "sda1.vfat-ptcl-img.gz.aa").write_bytes(b"x")
    (tmp_path / "sda2.ext4-ptcl-img.zst.aa").write_bytes(b"x")
    (tmp_path / "sda2.ext4-ptcl-img.zst.ab").write_bytes(b"y")
    return tmp_path


def test_clonezilla_directory_is_parsed(tmp_path: Path) -> None:
    image = read_clonezilla(clonezilla(tmp_path))
    assert [(p.name, p.fstype, p.compression, len(p.pieces)) for p in image.partitions] == [
        ("sda1", "vfat", "gz", 1),
        ("sda2", "ext4", "zst", 2),
    ]
    assert image.required_bytes == (34816 + 161759 + 33) * 512
    table = table_for(image, "/dev/loop7")
    assert "device:" not in table and "last-lba" not in table
    assert "/dev/loop7p2 : start=       34816" in table
    assert partition_node("/dev/sdb", 3) == "/dev/sdb3"
    assert partition_node("/dev/nvme0n1", 3) == "/dev/nvme0n1p3"


def test_clonezilla_unsplit_swap_boot_files_are_read(tmp_path: Path) -> None:
    folder = clonezilla(tmp_path)
    for piece in folder.glob("sda2.*"):
        piece.unlink()
    (folder / "sda2.ext4-ptcl-img.uncomp").write_bytes(b"x")
    (folder / "swappt-sda3.info").write_text('UUID="1234-abcd"\nLABEL=""\n')
    (folder / "sda-mbr").write_bytes(bytes(512))
    image = read_clonezilla(folder)
    assert [(p.name, p.compression, len(p.pieces)) for p in image.partitions][1] == (
        "sda2",
        "uncomp",
        1,
    )
    assert [(s.number, s.uuid, s.label) for s in image.swaps] == [(3, "1234-abcd", None)]
    assert image.mbr is not None and image.hidden_after_mbr is None
    assert {"swappt-sda3.info", "sda-mbr", "sda2.ext4-ptcl-img.uncomp"} <= set(used_files(image))
    assert "/dev/loop7p2 : start=       34816, size=1000," in table_for(image, "/dev/loop7", 1000)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("disk", "sda sdb\n", "several disks \\(sda sdb\\)"),
        ("lvm_vg_dev.list", "vg /dev/sda2\n", "LVM"),
        ("dev-fs.list", "/dev/sda2 BitLocker 50G\n", "BitLocker"),
        ("luks-dev.list", "/dev/sda2\n", "LUKS"),
    ],
)
def test_clonezilla_layouts_station_cannot_deploy_are_named(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    folder = clonezilla(tmp_path)
    (folder / name).write_text(content)
    with pytest.raises(ImageError, match=expected):
        read_clonezilla(folder)


def test_clonezilla_problems_are_named(tmp_path: Path) -> None:
    folder = clonezilla(tmp_path)
    (folder / "sda2.ext4-ptcl-img.zst.aa").rename(folder / "sda2.btrfs-ptcl-img.zst.aa")
    (folder / "sda2.ext4-ptcl-img.zst.ab").unlink()
    with pytest.raises(ImageError, match="btrfs, which is not supported"):
        read_clonezilla(folder)
    (folder / "parts").write_text("sda1 sda3\n")
    with pytest.raises(ImageError, match="no partclone image for sda3"):
        read_clonezilla(folder)
    (folder / "disk").unlink()
    with pytest.raises(ImageError, match="not a Clonezilla image"):
        read_clonezilla(folder)
