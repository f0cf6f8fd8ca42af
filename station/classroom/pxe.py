"""Network boot of the Station live system: dnsmasq's configuration and the iPXE script.

The workshop's network keeps its own DHCP server (the school's box, the router):
dnsmasq runs as **proxy-DHCP** (`dhcp-range=<subnet>,proxy`): it hands out no address,
only the boot information, to machines that ask to boot from the network. Its TFTP
server gives a BIOS firmware's PXE the iPXE binary Debian ships (`undionly.kpxe`); iPXE
asks again, this time with its user class `iPXE`
(DHCP option 175 set), and is given `boot.ipxe`, the script below, which loads the
live system's kernel and initrd over HTTP from the classroom server and starts it with
live-boot's `fetch=` pointing at the squashfs on the same server. The laptop then runs
Station from RAM, with no stick. A UEFI x86-64 firmware gets Debian's signed shim
instead, which chains to Debian's signed network GRUB (uefi.py), so Secure Boot can stay on.

Served tree (`ClassroomLayout`): ROOT/live/{vmlinuz,initrd.img,filesystem.squashfs}
(copied from the live ISO's /live/), ROOT/images/<name>/ (the images, with disk.frames),
ROOT/tftp/ (generated here: undionly.kpxe and boot.ipxe; shimx64.efi, grubx64.efi and
grub/grub.cfg).
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from station.classroom.uefi import DEBIAN_SIGNED, SHIM_NAME, SignedLoaders, write_uefi_files
from station.errors import ConfigError

IPXE_DIR = Path("/usr/lib/ipxe")
BIOS_LOADER = "undionly.kpxe"
UEFI_LOADER = SHIM_NAME  # Secure Boot: Debian's signed shim -> signed GRUB (uefi.py)
LIVE_FILES = ("vmlinuz", "initrd.img", "filesystem.squashfs")
INVENTORY_PARAMETER = "station.inventory"
# What a network-booted live system reads at boot to run the session by itself
# (station/classroom/laptop.py, the live image's station-classroom.service).
CLASSROOM_PARAMETER = "station.classroom"
IMAGE_PARAMETER = "station.image"
PORTBASE_PARAMETER = "station.portbase"
# The live image's own boot line, minus what only a stick needs (see live-image/auto/config).
LIVE_APPEND = "boot=live live-config.components=hostname quiet loglevel=3"


@dataclass(frozen=True)
class PxeSettings:
    interface: str
    server_ip: str
    http_port: int
    subnet: str  # the network dnsmasq answers on, e.g. 192.168.50.0/24
    marker: str = "0000-0000"  # no stick: the boot marker names none of the disks
    extra_append: str = ""
    # The inventory server a laptop without a stick joins (station classroom-join reads
    # `station.inventory=` on its kernel command line); None: not given at boot.
    inventory_url: str | None = None
    # "FIRST-LAST": dnsmasq gives these addresses itself, on a classroom network with no
    # other DHCP server (UEFI + Secure Boot needs it: docs/classroom.md). Empty: proxy.
    address_pool: str = ""
    # The session's image (a folder of ROOT/images/) and udpcast port base, for the
    # laptops to receive it by themselves; "" / None: not given at boot (the inventory's
    # session names its image when the laptop joins).
    image: str = ""
    portbase: int | None = None

    def __post_init__(self) -> None:
        try:
            network = ipaddress.ip_network(self.subnet, strict=False)
            address = ipaddress.ip_address(self.server_ip)
        except ValueError as exc:
            raise ConfigError(f"adresse ou réseau invalide : {exc}") from exc
        if address not in network:
            raise ConfigError(
                f"le serveur {self.server_ip} n'est pas dans le réseau {self.subnet} "
                "(the server address must be on the classroom network)"
            )
        if not 0 < self.http_port < 65536:
            raise ConfigError(f"port HTTP invalide : {self.http_port}")
        if not self.interface or any(c.isspace() or c in ",#" for c in self.interface):
            raise ConfigError(f"nom d'interface invalide : {self.interface!r}")
        if self.inventory_url is not None and not re.fullmatch(
            r"https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/-]*)?", self.inventory_url
        ):
            raise ConfigError(f"adresse du serveur d'inventaire invalide : {self.inventory_url!r}")
        if self.image and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", self.image):
            raise ConfigError(f"nom d'image invalide : {self.image!r}")
        if self.portbase is not None and not 0 < self.portbase < 65535:
            raise ConfigError(f"port udpcast invalide : {self.portbase}")
        if self.address_pool:
            pool_bounds(self.address_pool, self.subnet, self.server_ip)

    @property
    def base_url(self) -> str:
        return f"http://{self.server_ip}:{self.http_port}"

    @property
    def network_address(self) -> str:
        return str(ipaddress.ip_network(self.subnet, strict=False).network_address)


def pool_bounds(pool: str, subnet: str, server_ip: str) -> tuple[str, str]:
    """The first and last address of "FIRST-LAST", both on the network, server outside."""
    first, sep, last = pool.partition("-")
    try:
        network = ipaddress.IPv4Network(subnet, strict=False)
        low, high = ipaddress.IPv4Address(first.strip()), ipaddress.IPv4Address(last.strip())
        server = ipaddress.IPv4Address(server_ip)
    except ValueError as exc:
        raise ConfigError(
            f"plage d'adresses invalide {pool!r} (attendu : PREMIÈRE-DERNIÈRE, en IPv4)"
        ) from exc
    if not sep or low not in network or high not in network or low > high:
        raise ConfigError(
            f"plage d'adresses invalide {pool!r} : deux adresses du réseau {network}, "
            "la plus petite d'abord"
        )
    if low <= server <= high:
        raise ConfigError(f"le serveur {server} est dans la plage {pool} : choisissez-la à côté")
    return str(low), str(high)


def dhcp_lines(settings: PxeSettings) -> str:
    """Proxy-DHCP (no address given), or the classroom's own address pool."""
    if not settings.address_pool:
        return f"""# No address given: the network's own DHCP server stays in charge.
dhcp-range={settings.network_address},proxy"""
    network = ipaddress.ip_network(settings.subnet, strict=False)
    first, last = pool_bounds(settings.address_pool, settings.subnet, settings.server_ip)
    return f"""# This server gives the addresses (a classroom network with no other DHCP server).
# Its answer names it as the TFTP server, which Debian 12's signed network GRUB needs.
dhcp-range={first},{last},{network.netmask},4h
# Not a router, no DNS: only the classroom network.
dhcp-option=option:router
dhcp-option=option:dns-server"""


def boot_lines(settings: PxeSettings) -> str:
    """Which loader each client gets: iPXE for a BIOS firmware, signed shim for UEFI
    x86-64 (client architecture 7 or 9), boot.ipxe for iPXE itself."""
    if settings.address_pool:
        # Our own DHCP answer: the boot file goes in it directly (a PXE menu in a full
        # DHCP answer made OVMF cancel the boot, "PXE-E21: Remote boot cancelled").
        return f"""dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:efi64,option:client-arch,9
dhcp-boot=tag:ipxe,boot.ipxe
dhcp-boot=tag:!ipxe,tag:efi64,{UEFI_LOADER}
dhcp-boot=tag:!ipxe,tag:!efi64,{BIOS_LOADER}"""
    return f"""pxe-prompt="Station",0
pxe-service=tag:!ipxe,x86PC,"Station (BIOS)",{BIOS_LOADER}
pxe-service=tag:!ipxe,x86-64_EFI,"Station (UEFI)",{UEFI_LOADER}
pxe-service=tag:!ipxe,BC_EFI,"Station (UEFI)",{UEFI_LOADER}
pxe-service=tag:ipxe,x86PC,"Station",boot.ipxe
pxe-service=tag:ipxe,x86-64_EFI,"Station",boot.ipxe
pxe-service=tag:ipxe,BC_EFI,"Station",boot.ipxe"""


def dnsmasq_conf(settings: PxeSettings, tftp_root: Path) -> str:
    """dnsmasq as proxy-DHCP (or the classroom's own DHCP) + TFTP; never a DNS server."""
    return f"""# Generated by `station classroom`: proxy-DHCP + TFTP (docs/classroom.md)
port=0
interface={settings.interface}
bind-interfaces
{dhcp_lines(settings)}
log-dhcp
enable-tftp
tftp-root={tftp_root}
# iPXE says who it is (option 175, user class "iPXE"): it gets the script, the firmware's
# own PXE gets iPXE first.
dhcp-match=set:ipxe,175
dhcp-userclass=set:ipxe,iPXE
{boot_lines(settings)}
"""


def live_append(settings: PxeSettings, loader_part: str = "") -> str:
    """The live system's kernel line: squashfs by fetch= from this server, then the
    loader's own part (iPXE names the initrd), then the workshop's extra parameters."""
    base = settings.base_url
    parts = [
        LIVE_APPEND,
        f"fetch={base}/live/filesystem.squashfs",
        f"station.marker={settings.marker}",
        f"{CLASSROOM_PARAMETER}={base}/",
        f"{IMAGE_PARAMETER}={settings.image}" if settings.image else "",
        f"{PORTBASE_PARAMETER}={settings.portbase}" if settings.portbase is not None else "",
        loader_part,
        f"{INVENTORY_PARAMETER}={settings.inventory_url}" if settings.inventory_url else "",
        settings.extra_append,
    ]
    return " ".join(part for part in parts if part)


def boot_script(settings: PxeSettings) -> str:
    """The iPXE script: the live system's kernel and initrd over HTTP, squashfs by fetch=."""
    base = settings.base_url
    append = live_append(settings, "initrd=initrd.img")
    return f"""#!ipxe
# Generated by `station classroom` (docs/classroom.md)
echo Station : démarrage par le réseau depuis {base}
kernel {base}/live/vmlinuz {append} || goto failed
initrd {base}/live/initrd.img || goto failed
boot || goto failed
:failed
echo Échec du démarrage réseau ; nouvel essai dans 10 s
sleep 10
chain {base}/tftp/boot.ipxe
"""


@dataclass(frozen=True)
class ClassroomLayout:
    root: Path

    @property
    def live(self) -> Path:
        return self.root / "live"

    @property
    def tftp(self) -> Path:
        return self.root / "tftp"

    def missing_live_files(self) -> list[str]:
        return [name for name in LIVE_FILES if not (self.live / name).is_file()]

    def write_boot_files(
        self,
        settings: PxeSettings,
        ipxe_dir: Path = IPXE_DIR,
        signed: SignedLoaders = DEBIAN_SIGNED,
    ) -> Path:
        """ROOT/tftp with Debian's iPXE (BIOS) and boot.ipxe, Debian's signed shim and
        GRUB (UEFI) and grub/grub.cfg; the dnsmasq.conf path."""
        self.tftp.mkdir(parents=True, exist_ok=True)
        source = ipxe_dir / BIOS_LOADER
        if not source.is_file():
            raise ConfigError(f"{source} manque (paquet Debian ipxe)")
        shutil.copyfile(source, self.tftp / BIOS_LOADER)
        (self.tftp / "boot.ipxe").write_text(boot_script(settings), encoding="utf-8")
        write_uefi_files(self.tftp, self.live, live_append(settings), signed)
        conf = self.root / "dnsmasq.conf"
        conf.write_text(dnsmasq_conf(settings, self.tftp), encoding="utf-8")
        return conf
