"""What the daily log flags: why a step failed (in the words its record gives) and where
the chain contradicts the supervisor's sign-off. French and English."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from station.domain.function_tests import title
from station.domain.smart_verdict import SEEN_WORDS
from station.domain.text import LocalizedText
from station.reports.wording import localized

Body = Mapping[str, Any]


@dataclass
class Signoff:
    supervisor: str
    decision: str
    signed_at: str
    first_seq: int
    last_seq: int
    record_id: str
    comment: str | None


def discrepancies(signoff: Signoff, work: Sequence[Body]) -> list[LocalizedText]:
    """Where the chain now contradicts what the supervisor signed."""
    found = []
    by_seq = {int(body["seq"]): body for body in work}
    later = sorted(seq for seq in by_seq if seq > signoff.last_seq)
    if later:
        span = f"seq {later[0]} à {later[-1]}"
        found.append(
            localized(
                f"{len(later)} enregistrement(s) ajouté(s) après le visa ({span})",
                f"{len(later)} record(s) added after the sign-off (seq {later[0]} to {later[-1]})",
            )
        )
    missing = [seq for seq in range(signoff.first_seq, signoff.last_seq + 1) if seq not in by_seq]
    if missing:
        seqs = _ranges(missing)
        found.append(
            localized(
                f"{len(missing)} enregistrement(s) visé(s) manquant(s) (seq {seqs})",
                f"{len(missing)} record(s) signed off are missing (seq {seqs})",
            )
        )
    last = by_seq.get(signoff.last_seq)
    if last is not None and last.get("record_id") != signoff.record_id:
        found.append(
            localized(
                f"l'enregistrement seq {signoff.last_seq} n'est pas celui qui a été visé",
                f"the record at seq {signoff.last_seq} is not the one signed off",
            )
        )
    earlier = sorted(seq for seq in by_seq if seq < signoff.first_seq)
    if earlier:
        found.append(
            localized(
                f"{len(earlier)} enregistrement(s) du jour avant la plage visée",
                f"{len(earlier)} record(s) of the day before the signed range",
            )
        )
    return found


def _ranges(seqs: list[int]) -> str:
    parts, start, previous = [], seqs[0], seqs[0]
    for seq in [*seqs[1:], None]:
        if seq is not None and seq == previous + 1:
            previous = seq
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if seq is not None:
            start = previous = seq
    return ", ".join(parts)


def failure_reasons(body: Body) -> list[LocalizedText]:
    """Why a step failed, in the words its record gives."""
    kind, index = body.get("kind"), body.get("pass_index")
    reasons: list[LocalizedText] = []
    if kind == "disk_seen" and body.get("eligible") is False:
        codes = ", ".join(body.get("refusals") or ["?"])
        reasons.append(localized(f"refusé : {codes}", f"refused: {codes}"))
    if kind == "smart_assessment" and body.get("verdict") in ("failing", "worn_out"):
        words = [SEEN_WORDS[w] for w in body.get("seen") or [] if w in SEEN_WORDS]
        fr = ", ".join(w[0] for w in words) or ", ".join(body.get("findings") or [])
        en = ", ".join(w[1] for w in words) or ", ".join(body.get("findings") or [])
        reasons.append(localized(f"SMART : hors d'usage ({fr})", f"SMART: not reusable ({en})"))
    if kind == "self_test" and body.get("status") not in ("passed", None):
        test, status = body.get("test"), body.get("status")
        reasons.append(localized(f"autotest {test} : {status}", f"self-test {test}: {status}"))
    if kind == "overwrite_pass":
        if body.get("stopped") == "cancelled":
            reasons.append(
                localized(f"passe {index} arrêtée à la demande", f"pass {index} stopped on request")
            )
        elif not body.get("completed"):
            reasons.append(localized(f"passe {index} non terminée", f"pass {index} not completed"))
        if body.get("bad_ranges"):
            count = len(body["bad_ranges"])
            reasons.append(
                localized(
                    f"passe {index} : {count} zone(s) illisible(s)",
                    f"pass {index}: {count} bad range(s)",
                )
            )
    if kind == "verification" and body.get("result") == "failed":
        mismatched = len(body.get("mismatched_ranges") or [])
        unreadable = len(body.get("unreadable_ranges") or [])
        reasons.append(
            localized(
                f"vérification en échec ({mismatched} écart(s), {unreadable} illisible(s))",
                f"verification failed ({mismatched} mismatched, {unreadable} unreadable)",
            )
        )
    # A purge the drive could not be asked for (supported: false) is no failure: the
    # Clear that followed has its own records; the certificate says why.
    if kind == "purge_command" and body.get("result") == "failed" and body.get("supported"):
        notes = "; ".join(body.get("notes") or [])
        technique = body.get("technique")
        reasons.append(
            localized(
                f"{technique} en échec : {notes or 'aucun détail enregistré'}",
                f"{technique} failed: {notes or 'no detail recorded'}",
            )
        )
    if kind == "image_deploy" and body.get("outcome") == "failed":
        image = body.get("image_name")
        reasons.append(localized(f"image {image} non déployée", f"image {image} not deployed"))
    if kind == "work_cancelled":
        reasons.append(STOPPED_AT.get(str(body.get("stage")), STOPPED_AT["erase"]))
        if body.get("requested_by") == "quit":
            reasons.append(localized("arrêté en quittant Station", "stopped by quitting Station"))
    return reasons


# What a disk stopped at each stage is left with (work_cancelled.stage).
STOPPED_AT = {
    "smart": localized(
        "arrêté à la demande pendant SMART : rien n'a été écrit",
        "stopped on request during SMART: nothing was written",
    ),
    "self_test": localized(
        "arrêté à la demande pendant l'autotest : rien n'a été écrit",
        "stopped on request during the self-test: nothing was written",
    ),
    "erase": localized(
        "arrêté à la demande pendant l'effacement : disque NON effacé",
        "stopped on request during the erase: disk NOT erased",
    ),
    "verification": localized(
        "arrêté à la demande pendant la vérification : effacement NON prouvé",
        "stopped on request during the check: erasure NOT proved",
    ),
    "image_deploy": localized(
        "arrêté à la demande pendant l'image : disque effacé, sans image",
        "stopped on request during the image: disk erased, no image",
    ),
}


def test_notes(body: Body) -> list[LocalizedText]:
    """A functional test not done (with its reason) or that found a defect: the
    supervisor sees it in the day's log. Not a failure of the bench."""
    if body.get("kind") != "function_test":
        return []
    test = str(body.get("test"))
    fr, en = title(test, "fr"), title(test, "en")
    if body.get("status") == "not_tested":
        why = str(body.get("reason") or "?")
        return [localized(f"test {fr} non fait : {why}", f"{en} test not done: {why}")]
    if body.get("status") == "failed":
        seen = "; ".join(body.get("defects") or []) or str(body.get("observed") or "?")
        return [localized(f"test {fr} : défaut ({seen})", f"{en} test: defect ({seen})")]
    return []
