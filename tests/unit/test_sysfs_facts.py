"""Reading /sys, /proc/self/mountinfo, /proc/swaps and /proc/cmdline (fake trees)."""

from __future__ import annotations

from pathlib import Path

from station.devices import mounts, sysfs
from tests.unit.sysfs_tree import FakeHost

NVME_CHAIN = "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0"


def vpd_pg80(serial: str) -> bytes:
    body = serial.encode()
    return bytes([0, 0x80, 0, len(body)]) + body


def test_disk_attributes(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    directory = host.disk(
        "sda",
        8,
        0,
        size_bytes=1000204886016,
        rotational=True,
        lbs=512,
        pbs=4096,
        device_attrs={
            "model": "WDC WD10EZEX-08W",
            "vendor": "ATA     ",
            "rev": "1A01",
            "wwid": "naa.50014ee2b5a1c2d3",
        },
    )
    (directory / "device" / "vpd_pg80").write_bytes(vpd_pg80("     WD-WCC4N0123456"))
    facts = sysfs.raw_facts("sda", host.sys)
    assert facts.size_bytes == 1000204886016 // 512 * 512
    assert (facts.logical_block_size, facts.physical_block_size) == (512, 4096)
    assert facts.rotational is True and facts.removable is False and facts.read_only is False
    assert facts.model == "WDC WD10EZEX-08W"
    assert facts.vendor == "ATA"
    assert facts.firmware == "1A01"
    assert facts.serial == "WD-WCC4N0123456"
    assert facts.wwid == "naa.50014ee2b5a1c2d3"
    assert facts.device_path.endswith("0:0:0:0/block/sda")


def test_nvme_identity_lives_on_the_controller(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    host.disk(
        "nvme0n1",
        259,
        0,
        chain=NVME_CHAIN,
        rotational=False,
        device_attrs={
            "serial": "S4EWNX0N123456  ",
            "model": "Samsung SSD 970 EVO 500GB",
            "firmware_rev": "2B2QEXE7",
        },
        block_attrs={"wwid": "eui.0025385b71b0d1e2"},
    )
    facts = sysfs.raw_facts("nvme0n1", host.sys)
    assert facts.serial == "S4EWNX0N123456"
    assert facts.firmware == "2B2QEXE7"
    assert facts.wwid == "eui.0025385b71b0d1e2"
    assert facts.rotational is False


def test_partitions_holders_and_leaf_disks(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    host.disk("sda", 8, 0)
    host.disk("sdb", 8, 16, chain="pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0")
    host.partition("sda", 1, 8, 1)
    host.partition("sda", 2, 8, 2)
    host.partition("sdb", 1, 8, 17)
    host.holder("sda2", "md0", 9, 0)
    host.holder("sdb1", "md0", 9, 0)
    host.holder("md0", "dm-0", 253, 0, dm_name="vg-root")
    assert sysfs.partitions("sda", host.sys) == ["sda1", "sda2"]
    assert sysfs.is_partition("sda2", host.sys) and not sysfs.is_partition("sda", host.sys)
    assert sysfs.parent_disk("sdb1", host.sys) == "sdb"
    assert sysfs.holders("sda2", host.sys) == ["md0"]
    assert sysfs.slaves("md0", host.sys) == ["sda2", "sdb1"]
    assert sysfs.leaf_disks("dm-0", host.sys) == {"sda", "sdb"}
    assert sysfs.name_for_devnum(8, 17, host.sys) == "sdb1"
    assert sysfs.name_for_devnum(8, 99, host.sys) is None
    assert sysfs.devnum("dm-0", host.sys) == (253, 0)
    assert set(sysfs.whole_disks(host.sys)) == {"sda", "sdb", "md0", "dm-0"}


def test_missing_attributes_are_none_not_errors(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    host.disk("loop5", 7, 5, chain="virtual")
    facts = sysfs.raw_facts("loop5", host.sys)
    assert facts.serial is None and facts.model is None and facts.wwid is None


def test_udev_database_properties(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    host.udev(8, 0, {"ID_SERIAL_SHORT": "ABC", "ID_PATH": "pci-0000:00:1f.2-ata-1"})
    assert sysfs.udev_properties(8, 0, host.run) == {
        "ID_SERIAL_SHORT": "ABC",
        "ID_PATH": "pci-0000:00:1f.2-ata-1",
    }
    assert sysfs.udev_properties(8, 16, host.run) == {}


def test_mountinfo_parsing_with_escapes_and_optional_fields() -> None:
    text = (
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        "36 27 259:1 / /media/clé\\040usb rw,nosuid shared:1 master:2 - vfat /dev/loop0p1 rw\n"
        "40 27 0:38 / /home rw - btrfs /dev/sdb2 rw\n"
    )
    entries = mounts.parse_mountinfo(text)
    assert [(e.major, e.minor, e.mount_point) for e in entries] == [
        (254, 0, "/"),
        (259, 1, "/media/clé usb"),
        (0, 38, "/home"),
    ]
    assert entries[1].fs_type == "vfat" and entries[1].source == "/dev/loop0p1"


def test_swaps_parsing() -> None:
    text = (
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
        "/dev/sda3                               partition\t8388604\t\t0\t\t-2\n"
        "/swap\\040file                           file\t\t1048572\t\t0\t\t-3\n"
    )
    assert mounts.parse_swaps(text) == ["/dev/sda3", "/swap file"]
    assert mounts.parse_swaps("Filename Type Size Used Priority\n") == []


def test_cmdline_values() -> None:
    line = "BOOT_IMAGE=/live/vmlinuz boot=live station.marker=ABCD-1234 quiet -- station.marker=x"
    assert mounts.cmdline_value(line, "station.marker") == "ABCD-1234"
    assert mounts.cmdline_value(line, "boot") == "live"
    assert mounts.cmdline_value(line, "root") is None
    assert mounts.cmdline_value("quiet station.marker", "station.marker") is None
    assert mounts.cmdline_flag(line, "quiet") and not mounts.cmdline_flag(line, "toram")
    assert not mounts.cmdline_flag("boot=live -- toram", "toram")  # init's, not ours


def test_fake_proc_files_are_read(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    host.mount(8, 2, "/")
    host.swaps.append("/dev/sda3")
    host.cmdline = "root=/dev/sda2 quiet"
    host.write()
    assert mounts.read_mountinfo(host.proc)[0].mount_point == "/"
    assert mounts.read_swaps(host.proc) == ["/dev/sda3"]
    assert mounts.read_cmdline(host.proc) == "root=/dev/sda2 quiet"


def test_nvme_namespaces_are_counted_next_to_the_namespace(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    for nsid in (1, 2):
        host.disk(f"nvme0n{nsid}", 259, nsid - 1, chain=NVME_CHAIN, rotational=False)
    host.disk("nvme1n1", 259, 5, chain=NVME_CHAIN.replace("nvme0", "nvme1"), rotational=False)
    host.disk("sda", 8, 0)
    assert sysfs.nvme_namespaces("nvme0n2", host.sys) == {1, 2}
    assert sysfs.nvme_namespaces("nvme1n1", host.sys) == {1}
    assert sysfs.nvme_namespaces("sda", host.sys) is None
    assert sysfs.nvme_namespaces("nvme7n1", host.sys) is None  # not in this sysfs
