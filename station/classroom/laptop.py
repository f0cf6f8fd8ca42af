"""What a network-booted laptop does in a classroom session by itself.

The live system booted from the classroom server (boot.ipxe or grub.cfg, pxe.py) finds on
its kernel command line where the session is (`station.classroom=URL`, the server's
board and files), which image (`station.image=NAME`, or the inventory's answer when it
joins through `station.inventory=URL`) and the udpcast port base (`station.portbase=`).
The live image's station-classroom.service runs `station classroom-laptop`, which uses
what is here: the session read from the command line, the image profile fetched from the
server (ROOT/images/NAME.yaml), the disk to image, and the network interface that
reaches the server (for `--multicast`).

Never the wrong disk: the disk is chosen only when the laptop has exactly **one internal
disk** (SATA, NVMe, virtio, eMMC; not USB, not removable, not an SD card) and it passes
Station's safety checks. No internal disk, more than one (even if all but one are
refused), or the one refused, and nothing is written: the laptop says why in French on
its screen and on the supervisor's board.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import yaml

from station.classroom.pxe import (
    CLASSROOM_PARAMETER,
    IMAGE_PARAMETER,
    INVENTORY_PARAMETER,
    PORTBASE_PARAMETER,
)
from station.devices.mounts import cmdline_value
from station.devices.safety import TargetInspection
from station.devices.udpcast import DEFAULT_PORTBASE
from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.errors import ConfigError, SyncError

# Buses of disks built into a laptop. USB (sticks, docks, external drives) never; SCSI
# covers too many things (USB-SATA bridges, external enclosures) to be trusted here.
INTERNAL_BUSES = frozenset({Bus.ATA, Bus.NVME, Bus.VIRTIO, Bus.MMC})
NOT_INTERNAL_MEDIA = frozenset({MediaKind.USB_FLASH, MediaKind.SD})
RTF_UP = 0x0001


@dataclass(frozen=True)
class SessionBoot:
    """The session as the kernel command line names it."""

    classroom_url: str  # the classroom server's board and files, ending with "/"
    image: str | None
    inventory_url: str | None
    portbase: int

    @property
    def server_host(self) -> str:
        return urlsplit(self.classroom_url).hostname or ""

    @classmethod
    def from_cmdline(cls, cmdline: str) -> SessionBoot | None:
        """None when the laptop was not booted for a session (no station.classroom=)."""
        url = cmdline_value(cmdline, CLASSROOM_PARAMETER)
        if not url:
            return None
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ConfigError(f"{CLASSROOM_PARAMETER}={url} : adresse du serveur invalide")
        port = cmdline_value(cmdline, PORTBASE_PARAMETER)
        if port is not None and not port.isdigit():
            raise ConfigError(f"{PORTBASE_PARAMETER}={port} : port invalide")
        return cls(
            classroom_url=url if url.endswith("/") else url + "/",
            image=cmdline_value(cmdline, IMAGE_PARAMETER) or None,
            inventory_url=cmdline_value(cmdline, INVENTORY_PARAMETER) or None,
            portbase=int(port) if port else DEFAULT_PORTBASE,
        )


def is_internal(identity: DiskIdentity) -> bool:
    """A disk built into the laptop (what the session images), as far as Linux tells."""
    return (
        not identity.removable
        and identity.bus in INTERNAL_BUSES
        and identity.media_kind not in NOT_INTERNAL_MEDIA
    )


@dataclass(frozen=True)
class DiskChoice:
    """The one disk to image, or why none (French for the screen and the board)."""

    path: str | None
    why_fr: str = ""

    @property
    def chosen(self) -> bool:
        return self.path is not None


def _named(inspection: TargetInspection) -> str:
    ident = inspection.identity
    return f"{ident.name} ({ident.model or 'modèle inconnu'}, n° {ident.serial or 'inconnu'})"


def choose_disk(inspections: Sequence[TargetInspection]) -> DiskChoice:
    """The disk only when the laptop has exactly one internal disk and it passes Station's
    safety checks. Two internal disks write nothing even when one of them is refused:
    which one the workshop meant cannot be told from here (a refused disk may be the one
    that was meant, busy for a reason the supervisor should see)."""
    internal = [i for i in inspections if is_internal(i.identity)]
    if len(internal) > 1:
        names = ", ".join(_named(i) for i in internal)
        return DiskChoice(
            None,
            f"plusieurs disques internes ({names}) : rien n'a été écrit. "
            "L'encadrant choisit le disque et lance station deploy sur la console (Ctrl+Alt+F2)",
        )
    if not internal:
        return DiskChoice(None, "aucun disque interne trouvé : rien n'a été écrit")
    [only] = internal
    if only.eligibility.eligible:
        return DiskChoice(only.identity.path)
    refused = ", ".join(only.eligibility.reason_texts("fr")) or "refusé"
    return DiskChoice(
        None, f"le disque interne n'a pas passé les contrôles de Station ({_named(only)} : "
        f"{refused}) : rien n'a été écrit",
    )  # fmt: skip


def route_interface(server: str, proc_root: Path = Path("/proc")) -> str | None:
    """The interface of the route to `server` (an IPv4 address) in /proc/net/route: the
    longest matching prefix, then the lowest metric; None when no route reaches it."""
    try:
        target = int(ipaddress.IPv4Address(server))
        lines = (proc_root / "net" / "route").read_text().splitlines()[1:]
    except (ValueError, OSError):
        return None
    best: tuple[int, int, str] | None = None  # (-prefix length, metric, interface)
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        iface, dest, flags, metric, mask = fields[0], fields[1], fields[3], fields[6], fields[7]
        # The kernel prints addresses as host-order (little-endian here) hex words.
        dest_n = _route_address(dest)
        mask_n = _route_address(mask)
        if not int(flags, 16) & RTF_UP or target & mask_n != dest_n:
            continue
        rank = (-bin(mask_n).count("1"), int(metric), iface)
        if best is None or rank < best:
            best = rank
    return None if best is None else best[2]


def _route_address(word: str) -> int:
    return int(ipaddress.IPv4Address(struct.pack("<I", int(word, 16))))


def server_address(host: str) -> str:
    """The server's IPv4 address (a name is resolved once)."""
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        return socket.gethostbyname(host)


def wait_for_server(
    url: str, wait_s: float, *, say: Callable[[str], None], poll_s: float = 2.0
) -> None:
    """Until the classroom server answers at `url` (the network comes up after boot)."""
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        try:
            requests.get(url, timeout=5).close()
            return
        except requests.RequestException as exc:
            if time.monotonic() > deadline:
                raise SyncError(
                    f"le serveur de la salle ({url}) ne répond pas après {wait_s:.0f} s : "
                    f"câble réseau, ou serveur arrêté ? ({exc.__class__.__name__})"
                ) from exc
            if not said:
                say(f"attente du réseau et du serveur de la salle ({url})…")
                said = True
            time.sleep(poll_s)


def profile_url(session: SessionBoot, image: str) -> str:
    return urljoin(session.classroom_url, f"images/{image}.yaml")


def fetch_image_profile(session: SessionBoot, image: str, folder: Path) -> Path:
    """The session image's profile from the server (ROOT/images/IMAGE.yaml) saved in
    `folder`. A `location` that is not a URL is taken relative to where the profile was
    found (e.g. `IMAGE/`, the default), so the same file works whatever the server's
    address."""
    url = profile_url(session, image)
    try:
        answer = requests.get(url, timeout=30)
    except requests.RequestException as exc:
        raise SyncError(f"profil de l'image introuvable ({url}) : {exc}") from exc
    if answer.status_code != 200:
        raise SyncError(
            f"le serveur de la salle ne donne pas le profil de l'image {image} ({url} : "
            f"HTTP {answer.status_code}) : il doit être dans images/{image}.yaml"
        )
    try:
        loaded = yaml.safe_load(answer.text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"profil de l'image {url} illisible : {exc}") from exc
    if not isinstance(loaded, dict):
        raise ConfigError(f"profil de l'image {url} illisible : pas un profil")
    location = str(loaded.get("location") or f"{image}/")
    if "://" not in location:
        loaded["location"] = urljoin(url, location if location.endswith("/") else location + "/")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{image}.yaml"
    path.write_text(yaml.safe_dump(loaded, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
