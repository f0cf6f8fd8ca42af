"""Wipe profiles: which passes to write and how to verify them.

Profiles are YAML files under profiles/wipe/, validated by these models with
extra="forbid" so a misspelt field is an error rather than a silently ignored setting.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from station.domain.text import LocalizedText

MIB = 1024 * 1024


class Pattern(StrEnum):
    ZEROS = "zeros"
    ONES = "ones"
    FIXED = "fixed"
    RANDOM = "random"
    COMPLEMENT = "complement"


class PassSpec(BaseModel):
    """One overwrite pass over every addressable block."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: Pattern
    hex: str | None = Field(
        default=None,
        description="for pattern 'fixed': the repeated bytes in hex, 1 to 512 bytes, "
        "a power of two long (e.g. '55' or 'a5a5f00f')",
    )

    @field_validator("hex")
    @classmethod
    def _hex_is_a_periodic_pattern(cls, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = value.lower().removeprefix("0x")
        if not re.fullmatch(r"(?:[0-9a-f]{2})+", cleaned):
            raise ValueError("expected hex digits in pairs, e.g. '55' or 'a5a5'")
        length = len(cleaned) // 2
        if length > 512 or length & (length - 1):
            raise ValueError("expected 1, 2, 4, ... or 512 bytes (a power of two)")
        return cleaned

    @model_validator(mode="after")
    def _hex_only_for_fixed(self) -> Self:
        if self.pattern is Pattern.FIXED and self.hex is None:
            raise ValueError("pattern 'fixed' needs 'hex', e.g. hex: '55'")
        if self.pattern is not Pattern.FIXED and self.hex is not None:
            raise ValueError(f"'hex' only goes with pattern 'fixed', not '{self.pattern}'")
        return self


class VerificationSpec(BaseModel):
    """How the last pass is read back (docs/sanitization.md, "Sampled verification")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["sampled", "full"]
    subsections: int = Field(default=1000, ge=1000, le=1_000_000)
    extent_percent: float = Field(
        default=5.0, ge=5.0, le=25.0, description="each of the two extents per subsection"
    )
    full_below_mib: int = Field(
        default=64,
        ge=0,
        description="media smaller than this are always read back in full",
    )


class IoErrorPolicy(BaseModel):
    """What failing sectors do to the result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retries: int = Field(default=3, ge=0, le=20)
    max_bad_sectors: int = Field(
        default=64, ge=0, description="more bad sectors than this and the wipe has failed"
    )
    result: Literal["cleared_with_warnings", "failed"] = Field(
        default="cleared_with_warnings",
        description="the result when some sectors failed but no more than max_bad_sectors",
    )


class PurgeSpec(BaseModel):
    """Firmware purge (docs/sanitization.md, media table): what to do where Purge is possible."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fallback: Literal["clear", "fail"] = Field(
        default="clear",
        description="when Purge is not possible or the drive did not do it: run this "
        "profile's overwrite passes (Clear) or stop with 'failed'",
    )
    restore_native_max: bool = Field(
        default=True, description="remove a Host Protected Area before erasing (hdparm -N)"
    )
    watermark_subsections: int = Field(
        default=1000, ge=1, le=1_000_000, description="at least one watermark in each"
    )


class WipeProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: LocalizedText
    description: LocalizedText
    method: Literal["clear", "purge"] = Field(
        default="clear",
        description="'clear': overwrite passes; 'purge': firmware purge where the drive "
        "supports it (see 'purge'), these passes otherwise",
    )
    passes: list[PassSpec] = Field(min_length=1, max_length=8)
    verification: VerificationSpec
    io_errors: IoErrorPolicy = IoErrorPolicy()
    checkpoint_every_mib: int = Field(default=256, ge=1, le=65536)
    purge: PurgeSpec | None = None

    @field_validator("passes")
    @classmethod
    def _complement_follows_a_fixed_pattern(cls, passes: list[PassSpec]) -> list[PassSpec]:
        for index, spec in enumerate(passes):
            if spec.pattern is not Pattern.COMPLEMENT:
                continue
            if index == 0 or passes[index - 1].pattern is Pattern.RANDOM:
                raise ValueError(
                    f"passes[{index}]: 'complement' must follow a zeros, ones or fixed pass"
                )
        return passes
