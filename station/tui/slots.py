"""What the dashboard shows for each disk: its identity, its stage and progress, and
the words for them. Plain Python (no widgets), so the wording is easy to test."""

from __future__ import annotations

from dataclasses import dataclass, field

from station.devices.safety import TargetInspection
from station.domain.record import CancelledStage
from station.domain.results import Result
from station.domain.smart_verdict import Verdict
from station.domain.text import LocalizedText
from station.jobs.bench_sequence import SequenceOutcome, Stage, StageUpdate
from station.tui.i18n import _, language

BAR_WIDTH = 8

# Share of a disk's whole sequence each stage takes (about its time on a bench HDD), so
# the disk's bar and the batch's percentage only ever go up across the stages.
WEIGHTS = {Stage.SMART: 0.05, Stage.ERASING: 0.6, Stage.VERIFYING: 0.35}
WEIGHTS_WITH_IMAGE = {
    Stage.SMART: 0.05,
    Stage.ERASING: 0.45,
    Stage.VERIFYING: 0.2,
    Stage.DEPLOYING: 0.3,
}


def overall_fraction(update: StageUpdate, with_image: bool) -> float:
    """How much of the whole sequence is done at this update (0 to 1)."""
    weights = WEIGHTS_WITH_IMAGE if with_image else WEIGHTS
    if update.stage not in weights:
        return 0.0
    before = 0.0
    for stage, weight in weights.items():
        if stage is update.stage:
            break
        before += weight
    inside = max(0.0, min(1.0, update.fraction or 0.0))
    if update.stage is Stage.ERASING and update.pass_count > 1:
        done_passes = max(0, update.pass_index - 1)
        inside = min(1.0, (done_passes + inside) / update.pass_count)
    return min(1.0, before + weights[update.stage] * inside)


@dataclass
class DiskRow:
    inspection: TargetInspection
    stage: Stage = Stage.WAITING
    fraction: float | None = None
    rate_bps: float | None = None
    eta_s: float | None = None
    pass_index: int = 0
    pass_count: int = 1
    smart: Verdict | None = None
    outcome: SequenceOutcome | None = None
    removed: bool = False  # unplugged while its sequence ran
    asset_tag: str | None = None
    notes: list[LocalizedText] = field(default_factory=list)
    with_image: bool = False  # the sequence deploys the bench's image after the erase
    progress: float = 0.0  # of the whole sequence; never goes down while it runs
    unstoppable: bool = False  # the drive is purging itself: A cannot stop that
    paused: bool = False  # ended, its records held in memory until the stick is back
    waiting_for_stick: bool = False  # its image's stick was pulled: the deploy waits

    def __post_init__(self) -> None:
        if not self.inspection.eligibility.eligible:
            self.stage = Stage.REFUSED

    @property
    def name(self) -> str:
        return self.inspection.identity.name

    @property
    def path(self) -> str:
        return self.inspection.identity.path

    @property
    def busy(self) -> bool:
        return self.stage in (Stage.SMART, Stage.ERASING, Stage.VERIFYING, Stage.DEPLOYING)

    @property
    def on_hold(self) -> bool:
        """Waits for the Station stick: its records (ended), or its image (deploying)."""
        return self.paused or (self.busy and self.waiting_for_stick)

    @property
    def eligible(self) -> bool:
        return self.inspection.eligibility.eligible and not self.busy and not self.removed

    @property
    def stopped_at(self) -> CancelledStage:
        """Where a stopped disk stopped (an erase, when its outcome does not say)."""
        at = self.outcome.stopped_at if self.outcome is not None else None
        return at or "erase"

    @property
    def erased_when_stopped(self) -> bool:
        """Stopped during its image: the erase before it was done and proved."""
        return self.stage is Stage.CANCELLED and self.stopped_at == "image_deploy"

    def apply(self, update: StageUpdate) -> None:
        self.stage = update.stage
        self.fraction = update.fraction
        self.rate_bps = update.rate_bps
        self.eta_s = update.eta_s
        self.pass_index = update.pass_index
        self.pass_count = update.pass_count
        self.progress = max(self.progress, overall_fraction(update, self.with_image))
        self.unstoppable = update.unstoppable
        self.waiting_for_stick = update.waiting_for_stick

    def finish(self, outcome: SequenceOutcome) -> None:
        self.outcome = outcome
        self.stage = outcome.stage
        self.unstoppable = False
        self.waiting_for_stick = False
        self.smart = outcome.smart or self.smart
        self.rate_bps = None
        self.eta_s = None
        if outcome.stage is Stage.DONE:
            self.fraction = 1.0
            self.progress = 1.0

    def start(self, with_image: bool = False) -> None:
        self.outcome = None
        self.paused = False
        self.stage = Stage.SMART
        self.fraction = None
        self.rate_bps = self.eta_s = None
        self.with_image = with_image
        self.progress = 0.0


def disk_label(row: DiskRow) -> str:
    """A disk as a person finds it on the bench: slot, asset tag, model and serial."""
    ident = row.inspection.identity
    tag = f" [{row.asset_tag}]" if row.asset_tag else ""
    return _("slot {slot}{tag}: {model}, serial {serial}").format(
        slot=ident.slot or "-",
        tag=tag,
        model=ident.model or _("unknown model"),
        serial=ident.serial or _("none"),
    )


def human_size(size: int) -> str:
    scale, unit = next(
        (s, u)
        for s, u in ((10**12, _("TB")), (10**9, _("GB")), (1, _("MB")))
        if size >= s or s == 1
    )
    value = size / scale if scale > 1 else size / 10**6
    return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}".replace(".", dec())


def dec() -> str:
    return "," if language() == "fr" else "."


def rate_text(rate: float | None) -> str:
    if not rate:
        return ""
    return _("{value} MB/s").format(value=f"{rate / 10**6:.0f}")


def eta_text(eta: float | None) -> str:
    if eta is None:
        return ""
    minutes = int(eta // 60)
    if minutes >= 60:
        return _("{h} h {m:02d}").format(h=minutes // 60, m=minutes % 60)
    if minutes >= 1:
        return _("{m} min").format(m=minutes)
    return _("< 1 min")


def bar(fraction: float | None, width: int = BAR_WIDTH) -> str:
    if fraction is None:
        return ""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + f"] {fraction * 100:3.0f}%"


def media_word(row: DiskRow) -> str:
    words = {
        "hdd": _("HDD"),
        "ssd": _("SSD"),
        "nvme": _("NVMe"),
        "usb_flash": _("USB key"),
        "sd": _("SD card"),
        "emmc": _("eMMC"),
        "virtual": _("virtual"),
    }
    return words.get(row.inspection.identity.media_kind.value, _("unknown"))


def smart_word(verdict: Verdict | None) -> str:
    if verdict is None:
        return "-"
    return {
        Verdict.PASS: _("good"),
        # A WARN is not always wear: the why screen says what was seen.
        Verdict.WARN: _("fair"),
        Verdict.FAIL: _("failing"),
        Verdict.NOT_SUPPORTED: _("n/a"),
    }[verdict]


def result_word(result: Result | str | None) -> str:
    words = {
        "purged": _("purged"),
        "cleared": _("cleared"),
        "cleared_with_warnings": _("cleared, warnings"),
        "failed": _("failed"),
        "cancelled": _("stopped"),
    }
    return words.get(str(result), "-") if result else "-"


def stage_word(row: DiskRow) -> str:
    word = _("paused: stick removed") if row.on_hold else _stage_word(row)
    if row.removed:
        word += " " + _("(unplugged)")
    return word


def _stage_word(row: DiskRow) -> str:
    stage = row.stage
    if stage is Stage.ERASING:
        # The wipe job counts passes from 1 (as `station wipe` prints them).
        return _("erasing pass {n}/{m}").format(n=max(1, row.pass_index), m=row.pass_count)
    if stage is Stage.DONE and row.outcome is not None and row.outcome.result is not None:
        return _("done: {result}").format(result=result_word(row.outcome.result))
    words = {
        Stage.WAITING: _("waiting"),
        Stage.SMART: _("SMART test"),
        Stage.VERIFYING: _("verifying"),
        Stage.DEPLOYING: _("deploying"),
        Stage.DONE: _("done"),
        Stage.FAILED: _("failed"),
        Stage.REFUSED: _("refused"),
        Stage.CANCELLED: _("cancelled"),
    }
    if stage is Stage.REFUSED:
        return _("refused: {reason}").format(reason=refusal_short(row))
    return words[stage]


def refusal_short(row: DiskRow) -> str:
    codes = row.inspection.eligibility.codes
    if not codes:
        return _("see why")
    short = {
        "boot_medium": _("boot stick"),
        "boot_medium_unclear": _("boot unclear"),
        "system_disk": _("system disk"),
        "backs_root": _("system disk"),
        "mounted": _("in use"),
        "swap": _("in use"),
        "holders": _("in use"),
        "read_only": _("read-only"),
        "zero_size": _("empty"),
        "sanitize_in_progress": _("busy"),
        "not_a_disk": _("not a disk"),
    }
    return short.get(codes[0].value, _("see why"))
