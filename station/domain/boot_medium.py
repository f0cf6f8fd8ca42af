"""Which disk is the boot medium (the live stick), decided from several independent signals.

The devices layer gathers three signals; this module only judges them:
- the disk mounted at /run/live/medium (live-boot mounts the stick there),
- the disk carrying the marker UUID given on the kernel command line (`station.marker=`),
- the disk(s) backing the running root filesystem.
With `toram` the medium is a RAM copy: the marker alone names the stick, and a marker on
no disk means the stick was pulled (nothing running is on a disk any more).
If they disagree, or a live system gives no way to tell which disk is its stick, the
verdict is "unclear" and every disk is refused: guessing wrong would erase the stick or,
worse, the disk the operator thinks is the stick.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from station.domain.text import LocalizedText


class BootSignals(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    live_dir_present: bool = False  # /run/live exists
    cmdline_live: bool = False  # boot=live on the kernel command line
    # Disks under /run/live/medium: None when nothing is mounted there, empty when the
    # mount's source is not a disk Station can name.
    medium_disks: frozenset[str] | None = None
    marker_uuid: str | None = None
    marker_disks: frozenset[str] = frozenset()
    root_disks: frozenset[str] = frozenset()
    # `toram`: the system was copied into RAM and runs without its medium, which is a
    # tmpfs at /run/live/medium (or unmounted); the stick may since have been pulled.
    medium_in_ram: bool = False


class BootMedium(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    live: bool
    boot_disks: frozenset[str] = frozenset()
    root_disks: frozenset[str] = frozenset()
    unclear: LocalizedText | None = None  # why, when the signals do not agree

    @property
    def clear(self) -> bool:
        return self.unclear is None


def _why(fr: str, en: str) -> LocalizedText:
    return LocalizedText(fr=fr, en=en)


def _disagreement(s: BootSignals) -> LocalizedText | None:
    if s.medium_in_ram and s.marker_uuid is not None and not s.marker_disks and not s.root_disks:
        # Copied to RAM and no disk carries the marker: the stick was pulled. Nothing
        # running is on a disk, so there is no boot disk left to protect.
        return None
    if s.marker_uuid is not None and not s.marker_disks:
        return _why(
            f"le repère {s.marker_uuid} donné au démarrage n'est sur aucun disque",
            f"the boot marker {s.marker_uuid} is on no disk",
        )
    if len(s.marker_disks) > 1:
        names = ", ".join(sorted(s.marker_disks))
        return _why(
            f"plusieurs disques portent le repère de démarrage ({names})",
            f"several disks carry the boot marker ({names})",
        )
    if s.medium_disks is not None and not s.medium_disks:
        return _why(
            "/run/live/medium est monté depuis autre chose qu'un disque reconnu",
            "/run/live/medium is mounted from something that is not a known disk",
        )
    if s.medium_disks and s.marker_disks and s.medium_disks != s.marker_disks:
        return _why(
            "/run/live/medium et le repère de démarrage désignent des disques différents",
            "/run/live/medium and the boot marker point at different disks",
        )
    if s.medium_disks is None and s.marker_uuid is None:
        # With toram too: a stick still plugged in could not be named.
        return _why(
            "système live, mais ni /run/live/medium ni un repère ne désigne la clé",
            "live system, but neither /run/live/medium nor a marker names the stick",
        )
    boot = (s.medium_disks or frozenset()) | s.marker_disks
    if s.root_disks and not s.root_disks <= boot:
        return _why(
            "le système en marche tourne sur un autre disque que la clé de démarrage",
            "the running root is on a different disk than the boot medium",
        )
    return None


def judge_boot_medium(signals: BootSignals) -> BootMedium:
    live = (
        signals.live_dir_present
        or signals.cmdline_live
        or signals.medium_disks is not None
        or signals.marker_uuid is not None
    )
    if not live:
        return BootMedium(live=False, root_disks=signals.root_disks)
    unclear = _disagreement(signals)
    return BootMedium(
        live=True,
        boot_disks=(signals.medium_disks or frozenset()) | signals.marker_disks,
        root_disks=signals.root_disks,
        unclear=unclear,
    )
