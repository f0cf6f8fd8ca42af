"""ATA drives through hdparm: identify, HPA/DCO, SECURITY ERASE UNIT and SANITIZE.

Never trust hdparm's exit code alone: QEMU's AHCI aborts SECURITY ERASE while hdparm
exits 0, and real drives have buggy firmware (docs/sanitization.md, pitfalls 2 and 6).
Every erase here re-reads IDENTIFY afterwards, and the purge job also checks the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from station.devices.firmware_erase import (
    DEFAULT_POLLING,
    EraseOutcome,
    Polling,
    poll_until_finished,
    ticking,
)
from station.devices.runner import CommandEvidence, Runner
from station.domain.drive_capabilities import AtaCapabilities, AtaSecurity, HpaState
from station.errors import CommandError

IDENTIFY_TIMEOUT_S = 30.0
SHORT_COMMAND_TIMEOUT_S = 60.0
# Used when the drive gives no estimate; generous because a timeout mid-erase is worse.
DEFAULT_ERASE_MINUTES = 12 * 60
YES = "--yes-i-know-what-i-am-doing"
# The user password set only for the time of SECURITY ERASE UNIT. It is not a secret on
# purpose: it is recorded, so anyone can unlock a drive an interrupted erase left locked.
TEMPORARY_PASSWORD = "station"  # noqa: S105


# ---------------------------------------------------------------- parsing (pure)


def _field(text: str, label: str) -> str | None:
    match = re.search(rf"^\s*{re.escape(label)}:\s*(.*?)\s*$", text, re.MULTILINE)
    return match.group(1) if match and match.group(1) else None


def parse_security(text: str) -> AtaSecurity | None:
    """The `Security:` block of `hdparm -I`; None when hdparm printed none."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Security:")), None)
    if start is None:
        return None
    block: list[str] = []
    for line in lines[start + 1 :]:
        if line and not line[0].isspace():
            break
        block.append(line.strip())
    flags: dict[str, bool] = {}
    for line in block:
        words = line.split()
        if not words:
            continue
        negated = words[0] == "not"
        rest = " ".join(words[1:] if negated else words)
        keys = {
            "supported": "supported",
            "enabled": "enabled",
            "locked": "locked",
            "frozen": "frozen",
            "expired: security count": "count_expired",
            "supported: enhanced erase": "enhanced_erase_supported",
        }
        if rest in keys:
            flags[keys[rest]] = not negated
    joined = "\n".join(block)
    normal = re.search(r"(\d+)min for SECURITY ERASE UNIT", joined)
    enhanced = re.search(r"(\d+)min for ENHANCED SECURITY ERASE UNIT", joined)
    return AtaSecurity(
        supported=flags.get("supported", False),
        enabled=flags.get("enabled", False),
        locked=flags.get("locked", False),
        frozen=flags.get("frozen", False),
        count_expired=flags.get("count_expired", False),
        enhanced_erase_supported=flags.get("enhanced_erase_supported", False),
        erase_minutes=int(normal.group(1)) if normal else None,
        enhanced_erase_minutes=int(enhanced.group(1)) if enhanced else None,
    )


def _feature(text: str, name: str) -> bool:
    """A line of the Commands/features list (enabled or merely supported)."""
    return re.search(rf"^\s*\*?\s*{re.escape(name)}\s*$", text, re.MULTILINE) is not None


def parse_identify(text: str) -> AtaCapabilities:
    """`hdparm -I DEV`: identity, security, SANITIZE feature set, HPA/DCO support."""
    rotation = _field(text, "Nominal Media Rotation Rate")
    return AtaCapabilities(
        model=_field(text, "Model Number"),
        serial=_field(text, "Serial Number"),
        firmware=_field(text, "Firmware Revision"),
        solid_state=None if rotation is None else rotation == "Solid State Device",
        security=parse_security(text),
        sanitize_supported=_feature(text, "SANITIZE feature set"),
        sanitize_block_erase=_feature(text, "BLOCK_ERASE_EXT command"),
        sanitize_crypto_scramble=_feature(text, "CRYPTO_SCRAMBLE_EXT command"),
        sanitize_overwrite=_feature(text, "OVERWRITE_EXT command"),
        encrypts_all_user_data=_feature(text, "Device encrypts all user data"),
        hpa_feature=_feature(text, "Host Protected Area feature set"),
        dco_feature=_feature(text, "Device Configuration Overlay feature set"),
    )


def parse_hpa(text: str) -> HpaState | None:
    """`hdparm -N DEV`: ` max sectors   = 310484656/312581808, HPA is enabled`.

    None when there is no such line, and when the numbers are nonsense: through a USB
    bridge hdparm can print `max sectors = 0/1, HPA is enabled`, which is no HPA at all
    but a bridge that did not pass the command. Unknown, never a real HPA."""
    match = re.search(r"max sectors\s*=\s*(\d+)/(\d+),\s*HPA is (enabled|disabled)", text)
    if not match:
        return None
    visible, native = int(match[1]), int(match[2])
    if visible <= 0 or native <= 1 or visible > native:
        return None
    return HpaState(
        visible_sectors=int(match[1]),
        native_sectors=int(match[2]),
        hpa_enabled=match[3] == "enabled",
    )


def parse_dco_real_max(text: str) -> int | None:
    """`hdparm --dco-identify DEV`: the "Real max sectors" the DCO allows."""
    match = re.search(r"Real max sectors:\s*(\d+)", text)
    return int(match.group(1)) if match else None


class SanitizeState(StrEnum):
    """ATA SANITIZE STATUS states as hdparm names them (SD0..SD4)."""

    IDLE = "SD0"
    FROZEN = "SD1"
    IN_PROCESS = "SD2"
    FAILED = "SD3"
    SUCCEEDED = "SD4"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class AtaSanitizeStatus:
    state: SanitizeState
    percent: int | None
    last_completed_without_error: bool


def parse_sanitize_status(text: str) -> AtaSanitizeStatus:
    """`hdparm --sanitize-status DEV`."""
    state_match = re.search(r"State:\s*(SD[0-4])", text)
    state = SanitizeState(state_match.group(1)) if state_match else SanitizeState.UNKNOWN
    progress = re.search(r"Progress:\s*0x[0-9a-fA-F]+\s*\((\d+)%\)", text)
    return AtaSanitizeStatus(
        state=state,
        percent=int(progress.group(1)) if progress else None,
        last_completed_without_error="Completed Without Error" in text,
    )


# ---------------------------------------------------------------- commands


def read_identify(path: str, runner: Runner) -> tuple[AtaCapabilities, CommandEvidence]:
    evidence = runner.run(["hdparm", "-I", path], timeout=IDENTIFY_TIMEOUT_S)
    if not evidence.ok:
        raise CommandError(f"cannot read IDENTIFY of {path}: {evidence.describe()}")
    return parse_identify(evidence.stdout), evidence


def sanitize_in_progress(path: str, runner: Runner) -> tuple[bool, CommandEvidence]:
    """ATA sanitize survives power cycles too (pitfall 5): check before offering a disk."""
    evidence = runner.run(["hdparm", "--sanitize-status", path], timeout=IDENTIFY_TIMEOUT_S)
    busy = evidence.ok and parse_sanitize_status(evidence.stdout).state is SanitizeState.IN_PROCESS
    return busy, evidence


def read_hpa(path: str, runner: Runner) -> tuple[HpaState | None, CommandEvidence]:
    evidence = runner.run(["hdparm", "-N", path], timeout=IDENTIFY_TIMEOUT_S)
    return (parse_hpa(evidence.stdout) if evidence.ok else None), evidence


def read_dco_real_max(path: str, runner: Runner) -> tuple[int | None, CommandEvidence]:
    evidence = runner.run(["hdparm", "--dco-identify", path], timeout=IDENTIFY_TIMEOUT_S)
    return (parse_dco_real_max(evidence.stdout) if evidence.ok else None), evidence


def restore_native_max(path: str, native_sectors: int, runner: Runner) -> CommandEvidence:
    """Remove the HPA permanently (`-N p<native>`), then the caller re-reads `-N`."""
    return runner.run(
        ["hdparm", YES, "-N", f"p{native_sectors}", path], timeout=SHORT_COMMAND_TIMEOUT_S
    )


def unfreeze_by_suspend(runner: Runner, seconds: int = 5) -> CommandEvidence:
    """Suspend to RAM and wake after `seconds`; many BIOSes freeze drives only at boot.

    Only the operator may start this (the whole bench sleeps); the UI offers it as a plan
    step for a frozen drive, then IDENTIFY is read again.
    """
    return runner.run(["rtcwake", "-m", "mem", "-s", str(seconds)], timeout=seconds + 120.0)


@dataclass
class SecurityEraseOutcome:
    """What really happened; `done` only when IDENTIFY afterwards agrees."""

    done: bool
    enhanced: bool
    password: str
    detail: str
    security_disabled_afterwards: bool
    evidence: list[CommandEvidence] = field(default_factory=list)


def erase_timeout_s(security: AtaSecurity, enhanced: bool) -> float:
    minutes = security.enhanced_erase_minutes if enhanced else security.erase_minutes
    # Words 89/90 are the drive's own estimate; double it, drives are often slower.
    return float((minutes or DEFAULT_ERASE_MINUTES) * 60 * 2 + 300)


def security_erase(
    path: str,
    runner: Runner,
    *,
    password: str = TEMPORARY_PASSWORD,
    prefer_enhanced: bool = True,
    polling: Polling = DEFAULT_POLLING,
) -> SecurityEraseOutcome:
    """SECURITY ERASE UNIT: set a user password, erase, then check it really happened.

    After any failure, `--security-disable` with the same password is always tried so a
    half-done erase does not leave a locked drive (docs/sanitization.md, pitfall 2).
    """
    before, identify = read_identify(path, runner)
    evidence = [identify]
    security = before.security
    if security is None or not security.supported:
        return SecurityEraseOutcome(
            False, False, password, "drive has no ATA security", False, evidence
        )
    if security.frozen:
        return SecurityEraseOutcome(False, False, password, "drive is frozen", False, evidence)
    if security.locked or security.enabled:
        return SecurityEraseOutcome(
            False, False, password, "a password is already set on the drive", False, evidence
        )
    enhanced = prefer_enhanced and security.enhanced_erase_supported
    set_pass = runner.run(
        ["hdparm", "--user-master", "u", "--security-set-pass", password, path],
        timeout=SHORT_COMMAND_TIMEOUT_S,
    )
    evidence.append(set_pass)
    if not set_pass.ok:
        return _after_failure(
            path,
            runner,
            password,
            enhanced,
            f"set password failed: {set_pass.describe()}",
            evidence,
        )
    # hdparm exits 0 even when the drive aborts the command (QEMU does): only IDENTIFY
    # says whether the password really took, and without it the erase proves nothing.
    armed, identify_armed = read_identify(path, runner)
    evidence.append(identify_armed)
    if armed.security is None or not armed.security.enabled:
        return _after_failure(
            path,
            runner,
            password,
            enhanced,
            "set password not applied: security is not enabled after it",
            evidence,
        )
    option = "--security-erase-enhanced" if enhanced else "--security-erase"
    # SECURITY ERASE UNIT says nothing while it runs: the bar follows the drive's own
    # estimate (IDENTIFY words 89/90), held below 100 % until the drive answers.
    minutes = security.enhanced_erase_minutes if enhanced else security.erase_minutes
    with ticking(minutes * 60.0 if minutes else None, polling):
        erase = runner.run(
            ["hdparm", "--user-master", "u", option, password, path],
            timeout=erase_timeout_s(security, enhanced),
        )
    evidence.append(erase)
    after, identify_after = read_identify(path, runner)
    evidence.append(identify_after)
    still_enabled = after.security is not None and after.security.enabled
    if not erase.ok or still_enabled:
        why = erase.describe() if not erase.ok else "security still enabled after the erase"
        return _after_failure(path, runner, password, enhanced, f"erase not done: {why}", evidence)
    return SecurityEraseOutcome(
        True, enhanced, password, "erase accepted and security disabled afterwards", True, evidence
    )


def _after_failure(
    path: str,
    runner: Runner,
    password: str,
    enhanced: bool,
    detail: str,
    evidence: list[CommandEvidence],
) -> SecurityEraseOutcome:
    disable_security(path, runner, password, evidence)
    after, identify = read_identify(path, runner)
    evidence.append(identify)
    disabled = after.security is None or not after.security.enabled
    return SecurityEraseOutcome(False, enhanced, password, detail, disabled, evidence)


def disable_security(
    path: str, runner: Runner, password: str, evidence: list[CommandEvidence]
) -> CommandEvidence:
    """`--security-disable` with the known password; recorded whatever its outcome."""
    result = runner.run(
        ["hdparm", "--user-master", "u", "--security-disable", password, path],
        timeout=SHORT_COMMAND_TIMEOUT_S,
    )
    evidence.append(result)
    return result


SANITIZE_OPTIONS = {
    "block_erase": "--sanitize-block-erase",
    "crypto_scramble": "--sanitize-crypto-scramble",
    "overwrite": "--sanitize-overwrite",
}


def sanitize(
    path: str, runner: Runner, action: str, polling: Polling = DEFAULT_POLLING
) -> EraseOutcome:
    """ATA SANITIZE (block erase / crypto scramble / overwrite), polled to its end."""
    option = SANITIZE_OPTIONS[action]
    argv = ["hdparm", YES, option, path]
    if action == "overwrite":
        argv = ["hdparm", YES, option, "hex:00000000", path]
    start = runner.run(argv, timeout=SHORT_COMMAND_TIMEOUT_S)
    evidence = [start]
    if not start.ok:
        return EraseOutcome(False, action, f"not started: {start.describe()}", evidence)

    def step() -> tuple[bool | None, int | None, str]:
        poll = runner.run(["hdparm", "--sanitize-status", path], timeout=SHORT_COMMAND_TIMEOUT_S)
        evidence.append(poll)
        status = parse_sanitize_status(poll.stdout)
        if status.state is SanitizeState.IN_PROCESS:
            return None, status.percent, ""
        ok = status.state in (SanitizeState.SUCCEEDED, SanitizeState.IDLE)
        if ok and status.last_completed_without_error:
            return True, 100, "sanitize completed without error"
        return False, status.percent, f"sanitize ended in {status.state}"

    done, detail = poll_until_finished(step, polling)
    return EraseOutcome(done, action, detail, evidence)
