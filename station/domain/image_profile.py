"""An image profile: which master image to deploy, how to check it, and what to do after.

Loaded from profiles/images/<name>.yaml (validated with `extra="forbid"`, so a typo is an
error naming the file, line and field). The image files themselves are never committed:
`location` points at the stick's data partition (a path, relative to the profile file
when not absolute) or at an HTTP mirror.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from station.domain.text import LocalizedText

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
MIB = 1024 * 1024


class ImageFormat(StrEnum):
    # Format 1: raw disk image, zstd-compressed, with a bmaptool block map (sha256 ranges).
    STATION_RAW = "station-raw-zstd"
    # Format 2: a Clonezilla image directory (parts/disk lists, sfdisk dump, partclone).
    CLONEZILLA = "clonezilla"


class LicencePolicy(StrEnum):
    NONE = "none"
    FIRMWARE_OEM = "firmware_oem"
    KEY_POOL = "key_pool"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OsInfo(_Strict):
    family: Literal["linux", "windows", "other"]
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)


# Windows EditionID values and the names a French workshop sees on the box.
EDITION_NAMES = {
    "Core": "Famille",
    "CoreSingleLanguage": "Famille unilingue",
    "CoreN": "Famille N",
    "Professional": "Pro",
    "ProfessionalN": "Pro N",
    "ProfessionalEducation": "Pro Éducation",
    "ProfessionalWorkstation": "Pro pour stations de travail",
    "Education": "Éducation",
    "Enterprise": "Entreprise",
}
GENERALIZED_STATES = (
    "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE",
    "IMAGE_STATE_GENERALIZE_RESEAL_TO_AUDIT",
)


KeyChannel = Literal["retail", "oem", "volume"]
CHANNEL_NAMES: dict[str, str] = {
    "retail": "commerce (Retail)",
    "oem": "OEM / reconditionneur",
    "volume": "en volume (MAK/KMS)",
}
# The licence channels Microsoft sells each edition through: no key of another channel
# exists for it (a « clé en volume » for Windows Famille is a mistake in the pool).
EDITION_CHANNELS: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ("Core", "CoreN", "CoreSingleLanguage", "CoreCountrySpecific"),
        frozenset({"retail", "oem"}),
    ),
    **dict.fromkeys(
        ("Professional", "ProfessionalN", "ProfessionalWorkstation", "ProfessionalEducation"),
        frozenset({"retail", "oem", "volume"}),
    ),
    **dict.fromkeys(
        ("Education", "EducationN", "Enterprise", "EnterpriseN", "EnterpriseS"),
        frozenset({"volume"}),
    ),
}


def channel_family(key_type: str | None) -> KeyChannel | None:
    """'Volume:GVLK' -> 'volume', 'OEM:DM' -> 'oem', 'Retail' -> 'retail' (None: unknown)."""
    head = (key_type or "").split(":", 1)[0].strip().lower()
    if head == "retail":
        return "retail"
    if head == "oem":
        return "oem"
    if head == "volume":
        return "volume"
    return None


def edition_name(edition_id: str | None) -> str:
    """'Professional' -> 'Pro': the name on the licence label."""
    if edition_id is None:
        return "inconnue"
    return EDITION_NAMES.get(edition_id, edition_id)


class WindowsMaster(_Strict):
    """What the master's registry says (read with hivexget at image creation)."""

    product_name: str | None = Field(default=None, description="SOFTWARE ProductName")
    edition_id: str | None = Field(
        default=None, description="SOFTWARE EditionID: Core (Famille), Professional (Pro)..."
    )
    image_state: str | None = Field(
        default=None,
        description="SOFTWARE Setup\\State ImageState; generalized masters (sysprep "
        "/generalize) say IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE",
    )
    key_channel: str | None = Field(
        default=None,
        description="the installed key's type from DigitalProductId4 (Retail, OEM:DM, "
        "OEM:NONSLP, Volume:GVLK, Volume:MAK)",
    )
    nt_version: str | None = Field(
        default=None,
        description="Windows NT version: 10.0 for Windows 10 and 11, 6.1 for Windows 7",
    )

    @property
    def generalized(self) -> bool:
        """Only then does Windows run the specialize pass (and SetupComplete.cmd) again."""
        return self.image_state in GENERALIZED_STATES

    @property
    def channel(self) -> KeyChannel | None:
        """The licence channel of the key the master was installed with."""
        return channel_family(self.key_channel)

    @property
    def before_windows_10(self) -> bool:
        """Windows 7 and 8.x: the installation media is bound to a channel family."""
        try:
            return float(self.nt_version or "") < 10.0
        except ValueError:
            return False


class LicenceSpec(_Strict):
    policy: LicencePolicy = LicencePolicy.NONE
    product: str | None = Field(default=None, description="e.g. 'windows-10-pro-edu'")
    edition: str | None = Field(
        default=None,
        description="Windows EditionID the pool's keys activate (Core, Professional, "
        "Education...): a master of another edition is refused before a key is spent",
    )
    channel: KeyChannel | None = Field(
        default=None,
        description="licence channel of the pool's keys (retail, oem, volume): a master that "
        "cannot take such a key is refused before a key is spent",
    )
    pool: str | None = Field(default=None, description="key pool name on the inventory")
    on_failure: Literal["return", "quarantine"] = Field(
        default="quarantine",
        description="what happens to a reserved key when the deploy fails after taking it",
    )
    answer_file: str = Field(
        default="Windows/Panther/unattend.xml",
        description="path of the Windows answer file inside the system partition",
    )

    @model_validator(mode="after")
    def _pool_named(self) -> Self:
        if self.policy is LicencePolicy.KEY_POOL and not (self.product and self.pool):
            raise ValueError("the key_pool policy needs 'product' and 'pool'")
        return self


class PostDeploy(_Strict):
    move_backup_gpt: bool = Field(default=True, description="sgdisk -e on a larger disk")
    grow_last_partition: bool = Field(
        default=False, description="grow the last partition and its ext4/NTFS filesystem"
    )
    reset_machine_id: bool = Field(default=False, description="Linux: empty /etc/machine-id")
    hostname_from_asset_tag: bool = Field(
        default=False, description="Linux: /etc/hostname from the asset tag"
    )
    linux_root_partition: int | None = Field(
        default=None, ge=1, description="partition holding /etc; None finds the first ext4 one"
    )


class ImageProfile(_Strict):
    schema_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    title: LocalizedText
    os: OsInfo
    software: list[str] = Field(default_factory=list, description="carried, for the record")
    format: ImageFormat
    location: str = Field(min_length=1, description="folder path or http(s) URL of the image")
    manifest: dict[str, Sha256Hex] = Field(
        min_length=1, description="sha256 of every file of the image, checked before writing"
    )
    min_disk_mib: int = Field(default=0, ge=0)
    verify: Literal["readback", "stream"] = Field(
        default="readback",
        description="readback: read every written range again; stream: check while writing",
    )
    licence: LicenceSpec = Field(default_factory=LicenceSpec)
    windows: WindowsMaster | None = Field(
        default=None, description="the master's edition and state, from its registry"
    )
    post_deploy: PostDeploy = Field(default_factory=PostDeploy)

    @property
    def min_disk_bytes(self) -> int:
        return self.min_disk_mib * MIB
