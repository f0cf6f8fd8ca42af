"""What a drive's firmware says it can do to erase itself, as parsed from hdparm / nvme-cli.

Pure models: station.devices.ata and station.devices.nvme fill them from tool output;
station.domain.purge_plan decides from them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AtaSecurity(BaseModel):
    """The "Security:" block of `hdparm -I` (ATA Security feature set, IDENTIFY word 128)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    supported: bool
    enabled: bool = False
    locked: bool = False
    frozen: bool = False
    count_expired: bool = False
    enhanced_erase_supported: bool = False
    erase_minutes: int | None = None  # IDENTIFY word 89
    enhanced_erase_minutes: int | None = None  # IDENTIFY word 90


class AtaCapabilities(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    solid_state: bool | None = None
    security: AtaSecurity | None = None  # None: hdparm printed no Security block
    sanitize_supported: bool = False
    sanitize_block_erase: bool = False
    sanitize_crypto_scramble: bool = False
    sanitize_overwrite: bool = False
    encrypts_all_user_data: bool = False
    hpa_feature: bool = False
    dco_feature: bool = False


class HpaState(BaseModel):
    """`hdparm -N`: visible max sectors against the native max (HPA hides the rest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    visible_sectors: int
    native_sectors: int
    hpa_enabled: bool

    @property
    def hidden_sectors(self) -> int:
        return max(0, self.native_sectors - self.visible_sectors)


class NvmeCapabilities(BaseModel):
    """From `nvme id-ctrl -o json`: the fields that say how the drive can erase itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    sanicap: int = 0
    fna: int = 0
    oacs: int = 0

    @property
    def sanitize_crypto_erase(self) -> bool:
        return bool(self.sanicap & 0x1)

    @property
    def sanitize_block_erase(self) -> bool:
        return bool(self.sanicap & 0x2)

    @property
    def sanitize_overwrite(self) -> bool:
        return bool(self.sanicap & 0x4)

    @property
    def sanitize_supported(self) -> bool:
        return bool(self.sanicap & 0x7)

    @property
    def format_supported(self) -> bool:
        return bool(self.oacs & 0x2)  # OACS bit 1: Format NVM

    @property
    def format_crypto_erase(self) -> bool:
        return bool(self.fna & 0x4)  # FNA bit 2: crypto erase supported by Format

    # Namespaces the controller exposes to this host, counted by the device layer from
    # sysfs (id-ctrl only gives the maximum): None when it could not be counted.
    active_namespaces: int | None = None

    @property
    def format_all_namespaces(self) -> bool:
        return bool(self.fna & 0x1)  # FNA bit 0: format applies to all namespaces

    @property
    def secure_erase_all_namespaces(self) -> bool:
        return bool(self.fna & 0x2)  # FNA bit 1: its secure erase part covers them all

    @property
    def single_namespace(self) -> bool:
        return self.active_namespaces == 1


class EmmcCapabilities(BaseModel):
    """What `mmc extcsd read` says about erasing an eMMC (JEDEC JESD84-B51 EXT_CSD)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sec_feature_support: int = 0  # EXT_CSD[231]
    erased_memory_content: int | None = None  # EXT_CSD[181]: 0x00 or 0xFF after erase

    @property
    def sanitize_supported(self) -> bool:
        """SEC_SANITIZE (bit 6): the SANITIZE operation exists (eMMC 4.5 and later)."""
        return bool(self.sec_feature_support & 0x40)
