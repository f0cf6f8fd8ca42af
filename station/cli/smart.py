"""`station smart DEVICE [--test short|long] [--json]`: the health verdict of one disk,
and optionally a self-test with its progress; `station smart --from FILE [--json]`: the
same verdict for a saved smartctl output (a report from another tool or a donor's IT
department), which touches no disk and writes nothing to the journal. Exit codes:
0 PASS, 3 WARN, 4 FAIL, 6 NOT_SUPPORTED (the drive cannot say), like the wipe's
results; 2 for a file that is not smartctl output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from station.cli.lang import tr
from station.devices import mmc
from station.devices.runner import SubprocessRunner
from station.devices.safety import inspect_target
from station.devices.smart import read_smart, run_self_test, smartctl_type
from station.domain.disk import MediaKind
from station.domain.record import StepBody, disk_ref_of
from station.domain.smart_facts import NotSmartctlOutput, facts_from_saved
from station.domain.smart_verdict import SmartVerdict, Verdict, judge
from station.errors import UsageError
from station.jobs.bench_smart import self_test_record, smart_record
from station.wiring import command_services, require_stick

EXIT_BY_VERDICT = {Verdict.PASS: 0, Verdict.WARN: 3, Verdict.FAIL: 4, Verdict.NOT_SUPPORTED: 6}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "smart",
        help="check a disk's health (SMART) and optionally run a self-test",
        description="Read SMART through smartctl and give a verdict: PASS, WARN (reuse "
        "after a human looked), FAIL (do not reuse) or NOT_SUPPORTED (the drive cannot "
        "tell). Exit codes: 0 PASS, 3 WARN, 4 FAIL, 6 NOT_SUPPORTED.",
    )
    parser.add_argument("device", nargs="?", help="the disk, e.g. /dev/sdb or /dev/nvme0n1")
    parser.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="judge a saved smartctl output (JSON from --json, or the text of -x / -a) "
        "instead of a disk; writes nothing to the journal",
    )
    parser.add_argument("--test", choices=["short", "long"], help="also run a self-test")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of reasons")
    parser.add_argument(
        "--operator", default="bench", help="pseudonymous id of the person at the bench"
    )
    parser.add_argument(
        "--no-journal", action="store_true", help="do not write signed records to the journal"
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    if args.from_file is not None:
        if args.device or args.test:
            raise UsageError(
                "--from juge un fichier enregistré : ne pas donner de disque ni de --test "
                "(--from judges a saved file: give no disk and no --test)"
            )
        return judge_saved(Path(args.from_file), as_json=args.json, lang=args.lang)
    if not args.device:
        raise UsageError("indiquer un disque, ou --from FICHIER (give a disk, or --from FILE)")
    if not args.no_journal:
        require_stick()
    identity = inspect_target(args.device).identity
    bodies: list[StepBody] = []
    disk = disk_ref_of(identity, args.device)
    interface = smartctl_type(identity)
    runner = SubprocessRunner()
    if identity.media_kind is MediaKind.EMMC:
        # eMMC has no SMART: its EXT_CSD (mmc-utils) says its wear, as on the bench.
        report = mmc.read_health(args.device, runner)
    else:
        report = read_smart(args.device, runner=runner, interface=interface)
    result: dict[str, Any] = report.to_record()
    verdict = report.verdict.verdict
    bodies.append(smart_record(report, disk, args.operator))
    if args.test and interface is not None and verdict is not Verdict.NOT_SUPPORTED:

        def show(remaining: int | None) -> None:
            if not args.json:
                left = "?" if remaining is None else f"{remaining}%"
                print(
                    "\r"
                    + tr(
                        f"self-test {args.test}: {left} remaining ",
                        f"autotest {args.test} : encore {left} ",
                    ),
                    end="",
                    flush=True,
                )

        outcome = run_self_test(
            args.device, args.test, runner=runner, interface=interface, on_progress=show
        )
        result["self_test"] = {"status": outcome.status.value, "detail": outcome.detail}
        bodies.append(self_test_record(outcome, disk, args.operator))
        if not args.json:
            print()
    if not args.no_journal:
        stored = command_services().journal.append_many(bodies)
        result["record_ids"] = [item.record_id for item in stored]
    if args.json:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
    else:
        print_verdict(args.device, report.verdict, args.lang)
        if "self_test" in result:
            test = result["self_test"]
            print(
                tr("self-test", "autotest")
                + f" {args.test}: {_status(test['status'])} ({test['detail']})"
            )
    return EXIT_BY_VERDICT[verdict]


VERDICT_FR = {"PASS": "bon", "WARN": "à surveiller", "FAIL": "défaillant"}
STATUS_FR = {
    "passed": "réussi",
    "failed": "échoué",
    "aborted": "interrompu",
    "in_progress": "en cours",
    "unknown": "inconnu",
    "not_supported": "non proposé par le disque",
}


def _status(status: str) -> str:
    return tr(status, STATUS_FR.get(status, status))


def print_verdict(name: str, verdict: SmartVerdict, lang: str) -> None:
    value = verdict.verdict.value
    said = VERDICT_FR.get(value) if lang == "fr" else None
    print(f"{name} : {said} ({value})" if said else f"{name}: {value}")
    for reason in verdict.reasons:
        print(f"  - {reason.message.get(lang)}")


def judge_saved(path: Path, *, as_json: bool, lang: str) -> int:
    """The verdict of a saved smartctl output; nothing is run, nothing recorded."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(
            f"impossible de lire {path} ({exc.strerror}) / cannot read {path}"
        ) from exc
    try:
        facts, layout = facts_from_saved(text)
    except NotSmartctlOutput as exc:
        raise UsageError(
            f"{path} n'est pas une sortie de smartctl ({exc}) : donner la sortie de "
            "« smartctl -x », « smartctl -a » ou « smartctl -x --json » / "
            f"{path} is not smartctl output"
        ) from exc
    verdict = judge(facts)
    if as_json:
        result = {
            "source": str(path),
            "layout": layout,
            "verdict": verdict.model_dump(mode="json"),
            "facts": facts.model_dump(mode="json"),
        }
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print_verdict(
            f"{path.name} ({facts.model or '?'} {facts.serial or ''})".strip(), verdict, lang
        )
    return EXIT_BY_VERDICT[verdict.verdict]
