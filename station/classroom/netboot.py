"""Network boot for a session, whoever runs it (`station classroom serve` or the
inventory server with `--classroom-root`): write ROOT/tftp and ROOT/dnsmasq.conf, check
them with `dnsmasq --test`, start dnsmasq as proxy-DHCP + TFTP (pxe.py says why)."""

from __future__ import annotations

from pathlib import Path

from station.classroom.pxe import ClassroomLayout, PxeSettings
from station.devices import dnsmasq
from station.errors import ConfigError


def prepare(
    root: Path, settings: PxeSettings, *, need_dnsmasq: bool
) -> tuple[ClassroomLayout, Path]:
    """The boot files written and checked; (layout, dnsmasq.conf). Without dnsmasq on this
    machine the configuration is written unchecked, or refused when it is needed."""
    layout = ClassroomLayout(root)
    conf = layout.write_boot_files(settings)
    reason = dnsmasq.missing()
    if reason is None:
        dnsmasq.check_config(conf)
    elif need_dnsmasq:
        raise ConfigError(reason)
    return layout, conf


def start(root: Path, settings: PxeSettings) -> dnsmasq.Dnsmasq:
    """dnsmasq for the classroom network, its log in ROOT/dnsmasq.log."""
    _layout, conf = prepare(root, settings, need_dnsmasq=True)
    return dnsmasq.start(conf, root / "dnsmasq.log")
