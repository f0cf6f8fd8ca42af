"""The classroom's network-boot configuration: dnsmasq as proxy-DHCP only, the iPXE
script pointing at this server, and bad settings refused with a clear French message."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from station.classroom.pxe import ClassroomLayout, PxeSettings, boot_script, dnsmasq_conf
from station.errors import ConfigError


def settings() -> PxeSettings:
    return PxeSettings("eno1", "192.168.50.2", 8080, "192.168.50.0/24")


def test_dnsmasq_is_proxy_dhcp_and_tftp_only(tmp_path: Path) -> None:
    conf = dnsmasq_conf(settings(), tmp_path)
    lines = conf.splitlines()
    assert "dhcp-range=192.168.50.0,proxy" in lines  # no address is ever handed out
    assert "port=0" in lines  # no DNS server
    assert "interface=eno1" in lines and "bind-interfaces" in lines
    assert f"tftp-root={tmp_path}" in lines
    assert 'pxe-service=tag:!ipxe,x86PC,"Station (BIOS)",undionly.kpxe' in lines
    assert 'pxe-service=tag:!ipxe,x86-64_EFI,"Station (UEFI)",ipxe.efi' in lines
    assert 'pxe-service=tag:ipxe,x86-64_EFI,"Station",boot.ipxe' in lines


def test_boot_script_loads_the_live_system_from_this_server() -> None:
    script = boot_script(settings())
    assert script.startswith("#!ipxe\n")
    base = "http://192.168.50.2:8080"
    assert f"kernel {base}/live/vmlinuz boot=live" in script
    assert f"fetch={base}/live/filesystem.squashfs" in script
    assert f"initrd {base}/live/initrd.img" in script
    assert f"station.classroom={base}/" in script
    with_extra = boot_script(
        PxeSettings("eno1", "192.168.50.2", 8080, "192.168.50.0/24", extra_append="nomodeset")
    )
    assert "initrd=initrd.img nomodeset" in with_extra
    assert "station.inventory" not in script
    joined = boot_script(
        PxeSettings("eno1", "192.168.50.2", 8080, "192.168.50.0/24",
                    inventory_url="http://192.168.50.2:8000")
    )  # fmt: skip
    # A laptop without a stick finds the inventory it joins (station classroom-join).
    assert " station.inventory=http://192.168.50.2:8000 " in joined


def test_a_bad_inventory_address_is_refused() -> None:
    with pytest.raises(ConfigError, match="serveur d'inventaire invalide"):
        PxeSettings("eno1", "192.168.50.2", 8080, "192.168.50.0/24",
                    inventory_url="http://x y/ initrd=evil")  # fmt: skip


@pytest.mark.parametrize(
    ("address", "subnet", "port", "interface", "said"),
    [
        ("10.0.0.2", "192.168.50.0/24", 8080, "eno1", "n'est pas dans le réseau"),
        ("192.168.50.300", "192.168.50.0/24", 8080, "eno1", "invalide"),
        ("192.168.50.2", "192.168.50.0/24", 0, "eno1", "port HTTP invalide"),
        ("192.168.50.2", "192.168.50.0/24", 8080, "eno1,lo", "interface invalide"),
    ],
)
def test_bad_settings_are_refused(
    address: str, subnet: str, port: int, interface: str, said: str
) -> None:
    with pytest.raises(ConfigError, match=said):
        PxeSettings(interface, address, port, subnet)


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="dnsmasq-base is not installed")
def test_written_files_pass_dnsmasq_own_check(tmp_path: Path) -> None:
    ipxe = tmp_path / "ipxe"
    ipxe.mkdir()
    for name in ("undionly.kpxe", "ipxe.efi"):
        (ipxe / name).write_bytes(b"loader")
    layout = ClassroomLayout(tmp_path / "root")
    conf = layout.write_boot_files(settings(), ipxe_dir=ipxe)
    assert (layout.tftp / "boot.ipxe").read_text().startswith("#!ipxe")
    assert layout.missing_live_files() == ["vmlinuz", "initrd.img", "filesystem.squashfs"]
    done = subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True)
    assert done.returncode == 0, done.stderr
