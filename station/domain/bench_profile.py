"""A bench profile: who works at this bench, how its ports are numbered, and what the
"Reconditionner" sequence does (wipe profile, optional image profile, inventory URL).

`simulated_disks` exists only for the demo bench: loop devices and image files have no
serial, so the demo gives each backing file a made-up identity, always shown as simulated.
`simulated_host` is its twin for the computer: a demo runs on a developer's machine whose
firmware identity is often unreadable (no root, a container), so the demo machine gets a
made-up name that its tests, its erased disks and its fiche share.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from station.domain.disk import MediaKind
from station.domain.grading import GradeRules, default_grade_rules
from station.domain.supervisor_secret import is_supervisor_hash, supervisor_proven
from station.domain.text import LocalizedText

PSEUDONYM = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

# Flash media get the drive's own Purge by default (NIST SP 800-88 Rev. 2: overwriting
# flash does not reach spare blocks); the profile falls back to Clear, with the reason
# shown and printed, when the drive, its bus or its namespaces do not allow it.
FLASH_PURGE: dict[MediaKind, str] = {
    MediaKind.SSD: "nist-purge",
    MediaKind.NVME: "nist-purge",
    MediaKind.EMMC: "nist-purge",
}


class SimulatedDisk(BaseModel):
    """The identity the demo bench shows for one backing file (loop device or file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backing_file: str = Field(description="file name of the image behind the loop device")
    model: str
    serial: str = Field(min_length=4, description="the serial the trainee types from")
    media_kind: MediaKind = MediaKind.HDD


class WifiNetwork(BaseModel):
    """The Wi-Fi a bench without a cable joins (WPA2/WPA3-Personal, or open without a
    passphrase). For anything else (WPA-Enterprise...), put a `wpa_supplicant.conf` on
    the stick's data partition instead: it wins over this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ssid: str = Field(min_length=1, max_length=32, description="the network's name")
    passphrase: str | None = Field(
        None, min_length=8, max_length=63, description="WPA passphrase (none: open network)"
    )


class FunctionTestSettings(BaseModel):
    """How the bench tests the laptop's functions (docs/functional-tests.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keyboard_layout: Literal["azerty-fr", "qwerty-us"] = Field(
        "azerty-fr", description="the keyboard map drawn for the keyboard test"
    )
    memory_test_megabytes: int = Field(
        256, ge=1, le=65536, description="how much free memory memtester tests"
    )
    memory_test_loops: int = Field(1, ge=1, le=20, description="memtester passes")
    memory_test_seconds: int = Field(
        600, ge=10, le=7200, description="memtester is stopped (not_tested) after this"
    )
    discharge_seconds: int = Field(
        120, ge=30, le=1800, description="how long the battery is measured on its own"
    )
    battery_min_minutes: float = Field(
        60,
        ge=0,
        description="a full battery that would last less than this under the test's load "
        "fails the battery test",
    )


class SimulatedHost(BaseModel):
    """The made-up name of the computer on the demo bench (only with
    STATION_SIMULATED_BENCH=1): recorded as named by its asset tag, never as firmware."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset_tag: str = Field(min_length=4, description="the demo machine's made-up asset tag")
    manufacturer: str | None = None
    product: str | None = None


class BenchProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(1, ge=1, le=1)
    name: str = Field(pattern=PSEUDONYM)
    title: LocalizedText
    operators: list[str] = Field(
        min_length=1, description="pseudonymous ids of the people allowed at this bench"
    )
    supervisors: list[str] = Field(default_factory=list, description="who may sign the day")
    supervisor_secrets: dict[str, str] = Field(
        default_factory=dict,
        description="supervisor id -> scrypt hash of their PIN or passphrase, written by "
        "`station supervisor add` (never the secret itself); a supervisor without one "
        "cannot sign",
    )
    badge_prefix: str = Field(
        "", description="prefix a badge reader adds before the id (removed when scanned)"
    )
    slots: dict[str, int] = Field(
        default_factory=dict, description="ID_PATH of a port -> slot number shown on the bench"
    )
    wipe_profile: str = Field(
        "nist-clear", description="the wipe profile of media not listed in wipe_by_media"
    )
    wipe_by_media: dict[MediaKind, str] = Field(
        default_factory=lambda: dict(FLASH_PURGE),
        description="wipe profile per media kind (hdd, ssd, nvme, emmc, usb_flash, sd); "
        "by default SSD, NVMe and eMMC get nist-purge (the drive's own Purge, else Clear "
        "with the reason); {} gives every disk wipe_profile",
    )
    smart_self_test: Literal["none", "short", "long"] = Field(
        "short",
        description="the drive's own self-test run before the erase (short: about 2 "
        "minutes; long: hours on a big disk; none: only read SMART)",
    )
    image_profile: str | None = None
    dock: bool = Field(
        False,
        description="true when the disks on this bench go into other machines (a dock, "
        "an industrial batch): the bench's own firmware then says nothing about their "
        "licence (no OEM key check); false when Station boots on the machine it reconditions",
    )
    inventory_url: str | None = None
    sync_each_record: bool = Field(
        False,
        description="push every record to the inventory as soon as it is written (a "
        "netbooted classroom laptop: its journal lives in RAM and is lost at power-off)",
    )
    asset_tag_pattern: str | None = Field(
        None,
        description="regular expression every asset tag must match, e.g. ^EPN-[0-9]{4}$",
    )
    asset_tag_example: str | None = Field(
        None, description="an asset tag that matches the pattern, shown when one does not"
    )
    printer: str | None = Field(
        None, description="CUPS queue for certificates and labels (none: PDF files only)"
    )
    large_text: bool = Field(
        False, description="big console font (Terminus 16x32) on the live console"
    )
    high_contrast: bool = Field(False, description="the high-contrast theme")
    inventory_ca: str | None = Field(
        None,
        description="CA certificate (PEM) the inventory's HTTPS certificate must chain to, "
        "when it is the workshop's own CA; a path relative to the data folder (the stick's "
        "data partition, beside banc.yaml) or absolute",
    )
    wifi: WifiNetwork | None = Field(
        None, description="the Wi-Fi to join when no cable is plugged in (live stick)"
    )
    function_tests: FunctionTestSettings = Field(default_factory=FunctionTestSettings)
    grades: GradeRules = Field(
        default_factory=default_grade_rules,
        description="grade levels (best first) and the rules that cap the grade",
    )
    simulated_disks: list[SimulatedDisk] = Field(default_factory=list)
    simulated_host: SimulatedHost | None = Field(
        None, description="demo bench only: the made-up identity of the computer tested"
    )

    @field_validator("supervisor_secrets")
    @classmethod
    def _hashes_only(cls, value: dict[str, str]) -> dict[str, str]:
        for who, stored in value.items():
            if not is_supervisor_hash(stored):
                raise ValueError(f"{who}: not a secret hash (set it with `station supervisor add`)")
        return value

    @model_validator(mode="after")
    def _pattern_compiles(self) -> BenchProfile:
        if self.asset_tag_pattern is not None:
            try:
                compiled = re.compile(self.asset_tag_pattern)
            except re.error as exc:
                raise ValueError(f"asset_tag_pattern: not a regular expression ({exc})") from exc
            example = self.asset_tag_example
            if example is not None and not compiled.fullmatch(example):
                raise ValueError(f"asset_tag_example {example!r} does not match the pattern")
        return self

    def proves(self, supervisor: str, secret: str | None) -> bool:
        """A supervisor of this bench who gave their own secret."""
        return supervisor_proven(supervisor, secret, self.supervisors, self.supervisor_secrets)

    def tag_accepted(self, tag: str) -> bool:
        return self.asset_tag_pattern is None or bool(re.fullmatch(self.asset_tag_pattern, tag))

    def identify(self, code: str) -> str | None:
        """The person a typed id or a scanned badge names, or None when unknown."""
        value = code.strip()
        if self.badge_prefix and value.upper().startswith(self.badge_prefix.upper()):
            value = value[len(self.badge_prefix) :]
        known = {o.lower(): o for o in [*self.operators, *self.supervisors]}
        return known.get(value.lower())

    def wipe_profile_for(self, kind: MediaKind) -> str:
        """The wipe profile a disk of this media kind gets at this bench."""
        return self.wipe_by_media.get(kind, self.wipe_profile)

    def knows(self, operator: str) -> bool:
        return operator in self.operators or operator in self.supervisors

    def simulated(self, backing_file: str) -> SimulatedDisk | None:
        name = backing_file.rsplit("/", 1)[-1]
        return next((d for d in self.simulated_disks if d.backing_file == name), None)


def default_bench() -> BenchProfile:
    """A bench with no profile file: one anonymous operator, the default wipe profile."""
    return BenchProfile(
        name="bench",
        title=LocalizedText(fr="Banc", en="Bench"),
        operators=["stagiaire"],
        supervisors=["superviseur"],
    )
