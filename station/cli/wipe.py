"""`station wipe DEVICE --profile NAME`: the headless wipe, with progress and a JSON result."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from station.cli.lang import result_fr, tr
from station.cli.progress_line import ProgressPrinter, human_bytes
from station.devices.runner import SubprocessRunner
from station.devices.safety import inspect_target
from station.domain.results import Result
from station.errors import UsageError
from station.jobs.profiles import load_wipe_profile
from station.jobs.sanitize import SanitizeOutcome, UnfreezeChoice, outcome_json, run_sanitize
from station.jobs.wipe import WipeRequest, ensure_eligible
from station.jobs.wipe_records import Provenance
from station.wiring import command_services, require_stick

EXIT_BY_RESULT = {
    Result.PURGED: 0,
    Result.CLEARED: 0,
    Result.CLEARED_WITH_WARNINGS: 3,
    Result.FAILED: 4,
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "wipe",
        help="erase a disk with a wipe profile, verify it, and write the result",
        description="Overwrite DEVICE (a block device or a disk image file) with the passes "
        "of a wipe profile, read it back, and report purged, cleared, "
        "cleared_with_warnings or failed. Exit codes: 0 cleared/purged, 3 "
        "cleared_with_warnings, 4 failed, 5 refused, 130 cancelled.",
    )
    parser.add_argument("device", help="the disk to erase, e.g. /dev/sdb, or an image file")
    parser.add_argument("--profile", default="nist-clear", help="profile name or YAML file")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", metavar="FILE", help="write the result as JSON to FILE")
    parser.add_argument(
        "--operator", default="bench", help="pseudonymous id of the person at the bench"
    )
    parser.add_argument(
        "--asset-tag",
        metavar="TAG",
        help="inventory number of the machine the disk comes from (printed on its certificate)",
    )
    parser.add_argument("--lot", metavar="LOT", help="the donation lot the disk belongs to")
    parser.add_argument(
        "--donor", metavar="ORGANISATION", help="who gave the lot (an organisation's name)"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start over even if an interrupted wipe can resume"
    )
    parser.add_argument("--no-checkpoint", action="store_true", help="do not keep resume points")
    parser.add_argument(
        "--unfreeze",
        choices=["ask", "suspend", "skip"],
        default="ask",
        help="a drive the BIOS froze cannot be purged: ask what to do (on a terminal), "
        "suspend the bench for 5 s (rtcwake) to thaw it, or skip the purge (Clear instead)",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    provenance = _provenance(args)
    profile = load_wipe_profile(args.profile)
    inspection = ensure_eligible(args.device, inspect_target)
    ident = inspection.identity
    unknown = tr("unknown", "inconnu")
    label = (
        f"{ident.model or tr('unknown model', 'modèle inconnu')}, "
        + tr("serial", "n° de série")
        + f" {ident.serial or unknown}"
    )
    print(
        tr("target: ", "disque : ")
        + f"{args.device} ({label}, {human_bytes(ident.size_bytes)})\n"
        + tr("profile: ", "profil : ")
        + f"{profile.name}: {tr(profile.title.en, profile.title.fr)}",
        file=sys.stderr,
    )
    if not args.yes:
        _confirm(args.device, ident.serial)
    cancel = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        print(
            "\n" + tr("stopping after the current chunk…", "arrêt après le bloc en cours…"),
            file=sys.stderr,
        )
        cancel.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        require_stick()
        services = command_services()
        request = WipeRequest(
            args.device,
            profile,
            checkpoints=None if args.no_checkpoint else services.checkpoints,
            operator=args.operator,
            provenance=provenance,
            fresh=args.fresh,
            journal=services.journal,
        )
        outcome = run_sanitize(
            request,
            SubprocessRunner(),
            on_event=ProgressPrinter(),
            cancel=cancel,
            ask_unfreeze=_unfreeze_policy(args.unfreeze),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if args.json:
        _write_json(Path(args.json), outcome, profile.name)
    _summary(outcome)
    if outcome.wipe is not None and outcome.wipe.stopped == "cancelled":
        return 130
    code = EXIT_BY_RESULT[outcome.result]
    if outcome.not_reusable is not None:
        # Erased, but it must not go to anyone: never a plain success.
        said = outcome.not_reusable
        print(tr(f"DO NOT REUSE: {said.en}", f"NE PAS RÉEMPLOYER : {said.fr}"), file=sys.stderr)
        return max(code, 3)
    return code


def _provenance(args: argparse.Namespace) -> Provenance:
    """Checked before anything is written: a tag the record would refuse must not cost
    a whole erasure."""
    for flag, value, longest in (
        ("--asset-tag", args.asset_tag, 64),
        ("--lot", args.lot, 64),
        ("--donor", args.donor, 200),
    ):
        if value is not None and not (0 < len(value) <= longest and value.isprintable()):
            raise UsageError(f"{flag}: 1 to {longest} printable characters, got {value!r}")
    return Provenance(asset_tag=args.asset_tag, lot=args.lot, donor=args.donor)


def _confirm(device: str, serial: str | None) -> None:
    if not sys.stdin.isatty():
        raise UsageError("not on a terminal: add --yes to confirm the erasure non-interactively")
    expected = (serial or Path(device).name)[-4:].upper()
    hint = "serial number, as printed on the drive label" if serial else f"name ({expected})"
    answer = input(
        f"Everything on {device} will be erased. "
        f"Type the last 4 characters of its {hint} to go on: "
    )
    if answer.strip().upper() != expected:
        raise UsageError("confirmation did not match: nothing was written")


def _unfreeze_policy(mode: str) -> Callable[[], UnfreezeChoice] | None:
    if mode == "suspend":
        return lambda: "suspend"
    if mode == "skip" or not sys.stdin.isatty():
        return None
    return _ask_unfreeze


def _ask_unfreeze() -> UnfreezeChoice:
    answer = input(
        "\nThe BIOS froze this drive's security commands, so it cannot purge itself.\n"
        "  S  suspend the bench for 5 seconds (rtcwake), which usually thaws it\n"
        "  R  I unplugged and plugged the drive back in (data cable, or the dock)\n"
        "  Enter  no purge: overwrite it instead (Clear)\n"
        "Your choice: "
    )
    choice = answer.strip().upper()
    return "suspend" if choice == "S" else "replugged" if choice == "R" else "skip"


def _write_json(path: Path, outcome: SanitizeOutcome, profile: str) -> None:
    """A Clear profile writes its WipeReport; a purge profile the sanitize report."""
    if outcome.plan is None and outcome.wipe is not None:
        data: dict[str, object] = outcome.wipe.model_dump(mode="json")
        # Every record of this session (DiskSeen and hidden-area findings are written
        # by run_sanitize before the wipe), as the summary line counts them.
        data["record_ids"] = list(outcome.record_ids)
    else:
        data = outcome_json(outcome, profile)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _summary(outcome: SanitizeOutcome) -> None:
    report = outcome.wipe
    resumed = report is not None and report.resumed
    result = outcome.result.value
    lines = [
        tr(f"result: {result}", f"résultat : {result_fr(result)}")
        + tr(" (resumed)", " (repris)") * resumed
    ]
    if outcome.plan is not None:
        label = tr(outcome.plan.label.en, outcome.plan.label.fr)
        lines.append(tr("plan: ", "méthode : ") + label)
    if outcome.record_ids:
        count = len(outcome.record_ids)
        lines.append(
            tr(f"journal: {count} signed records", f"journal : {count} enregistrements signés")
        )
    # English as the report has it; French in the words the bench screen uses.
    notes = zip(outcome.reasons, outcome.notes(), strict=True)
    lines.extend(f"  - {tr(reason, note.fr)}" for reason, note in notes)
    if report is None:
        print("\n".join(lines), file=sys.stderr)
        return
    verification = report.verification
    if verification is not None:
        mode = verification.mode
        coverage = f"{verification.coverage_percent:.1f}"
        mismatches, unreadable = len(verification.mismatches), len(verification.unreadable)
        lines.append(
            tr(
                f"verification: {mode}, {coverage}% read, {mismatches} mismatching ranges, "
                f"{unreadable} unreadable ranges",
                f"vérification : {'complète' if mode == 'full' else 'par échantillons'}, "
                f"{coverage} % relu, {mismatches} zone(s) différente(s), "
                f"{unreadable} zone(s) illisible(s)",
            )
            + (tr(", seed ", ", graine ") + verification.seed_hex if verification.seed_hex else "")
        )
    print("\n".join(lines), file=sys.stderr)
