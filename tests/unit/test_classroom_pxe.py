"""The classroom's network-boot configuration: dnsmasq as proxy-DHCP only, the iPXE
script pointing at this server, and bad settings refused with a clear French message."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from station.classroom.pxe import ClassroomLayout, PxeSettings, boot_script, dnsmasq_conf
from station.classroom.uefi import SignedLoaders, grub_cfg
from station.errors import ConfigError
from station.inventory.cli import _parser as inventory_parser
from station.inventory.cli import pxe_settings


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
    assert 'pxe-service=tag:!ipxe,x86-64_EFI,"Station (UEFI)",shimx64.efi' in lines
    assert 'pxe-service=tag:ipxe,x86-64_EFI,"Station",boot.ipxe' in lines


def test_own_address_pool_names_the_loaders_in_the_dhcp_answer(tmp_path: Path) -> None:
    pool = PxeSettings(
        "eno1",
        "192.168.50.2",
        8080,
        "192.168.50.0/24",
        address_pool="192.168.50.100-192.168.50.199",
    )
    lines = dnsmasq_conf(pool, tmp_path).splitlines()
    assert "dhcp-range=192.168.50.100,192.168.50.199,255.255.255.0,4h" in lines
    assert not any(line.endswith(",proxy") for line in lines)
    assert "dhcp-option=option:router" in lines  # not a router, not a DNS server
    assert "dhcp-match=set:efi64,option:client-arch,7" in lines
    assert "dhcp-boot=tag:!ipxe,tag:efi64,shimx64.efi" in lines
    assert "dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe" in lines
    assert "dhcp-boot=tag:ipxe,boot.ipxe" in lines
    assert not any(line.startswith("pxe-service") for line in lines)


def test_grub_cfg_loads_the_live_system_from_this_server() -> None:
    cfg = grub_cfg("boot=live fetch=http://192.168.50.2:8080/live/filesystem.squashfs")
    assert "set timeout=0" in cfg.splitlines()
    # kernel and initrd by TFTP (no http in Debian 12's signed GRUB), squashfs over HTTP
    assert (
        "    linux /live/vmlinuz boot=live "
        "fetch=http://192.168.50.2:8080/live/filesystem.squashfs" in cfg.splitlines()
    )
    assert "    initrd /live/initrd.img" in cfg.splitlines()


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


@pytest.mark.parametrize(
    ("pool", "said"),
    [
        ("192.168.50.100", "plage d'adresses invalide"),
        ("192.168.50.100-192.168.51.10", "deux adresses du réseau"),
        ("192.168.50.200-192.168.50.100", "la plus petite d'abord"),
        ("192.168.50.1-192.168.50.100", "le serveur 192.168.50.2 est dans la plage"),
        ("cent-deux cents", "plage d'adresses invalide"),
    ],
)
def test_bad_address_pools_are_refused(pool: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        PxeSettings("eno1", "192.168.50.2", 8080, "192.168.50.0/24", address_pool=pool)


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="dnsmasq-base is not installed")
def test_written_files_pass_dnsmasq_own_check(tmp_path: Path) -> None:
    ipxe = tmp_path / "ipxe"
    ipxe.mkdir()
    (ipxe / "undionly.kpxe").write_bytes(b"loader")
    (ipxe / "shim").write_bytes(b"signed shim")
    (ipxe / "grub").write_bytes(b"signed grub")
    layout = ClassroomLayout(tmp_path / "root")
    signed = SignedLoaders(shim=ipxe / "shim", grub=ipxe / "grub")
    conf = layout.write_boot_files(settings(), ipxe_dir=ipxe, signed=signed)
    assert (layout.tftp / "boot.ipxe").read_text().startswith("#!ipxe")
    # shim loads "grubx64.efi" from its own folder; Debian's network GRUB reads /grub/grub.cfg
    assert (layout.tftp / "shimx64.efi").read_bytes() == b"signed shim"
    assert (layout.tftp / "grubx64.efi").read_bytes() == b"signed grub"
    assert "/live/vmlinuz boot=live" in (layout.tftp / "grub" / "grub.cfg").read_text()
    assert not (layout.tftp / "live" / "vmlinuz").exists()  # no live files yet
    layout.live.mkdir()
    (layout.live / "vmlinuz").write_bytes(b"signed kernel")
    layout.write_boot_files(settings(), ipxe_dir=ipxe, signed=signed)
    assert (layout.tftp / "live" / "vmlinuz").read_bytes() == b"signed kernel"
    assert layout.missing_live_files() == ["initrd.img", "filesystem.squashfs"]
    done = subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True)
    assert done.returncode == 0, done.stderr


def test_missing_signed_loader_is_named_with_its_package(tmp_path: Path) -> None:
    ipxe = tmp_path / "ipxe"
    ipxe.mkdir()
    (ipxe / "undionly.kpxe").write_bytes(b"loader")
    signed = SignedLoaders(shim=ipxe / "absent", grub=ipxe / "absent")
    with pytest.raises(ConfigError, match="paquet Debian shim-signed"):
        ClassroomLayout(tmp_path / "root").write_boot_files(settings(), ipxe, signed)


def test_the_inventory_server_gives_the_classroom_addresses_when_told() -> None:
    """`station-inventory serve --classroom-address-pool` (UEFI Secure Boot laptops need
    the classroom's own DHCP answer) reaches dnsmasq's configuration; a pool off the
    network is refused in French before anything starts."""
    common = ["serve", "--classroom-root", "/srv/salle", "--classroom-address", "192.168.50.2",
              "--classroom-interface", "eno1", "--classroom-subnet", "192.168.50.0/24"]  # fmt: skip
    args = inventory_parser().parse_args(
        [*common, "--classroom-address-pool", "192.168.50.100-192.168.50.199"]
    )
    conf = dnsmasq_conf(pxe_settings(args), Path("/srv/salle/tftp"))
    assert "dhcp-range=192.168.50.100,192.168.50.199" in conf, conf
    assert "proxy" not in conf.split("dhcp-range=", 1)[1].splitlines()[0]
    proxy = dnsmasq_conf(pxe_settings(inventory_parser().parse_args(common)), Path("/t"))
    assert "proxy" in proxy.split("dhcp-range=", 1)[1].splitlines()[0], proxy
    off = inventory_parser().parse_args([*common, "--classroom-address-pool", "10.0.0.1-10.0.0.9"])
    with pytest.raises(ConfigError) as refused:
        pxe_settings(off)
    assert "plage d'adresses invalide" in str(refused.value)
