"""The certificate's printed sections: each field as a (label, value) row, in French or
English, with "not recorded" where the records are silent."""

from __future__ import annotations

from typing import Any

from station.reports.wording import (
    Lang,
    decimal,
    duration,
    local_time,
    size,
    text_or_missing,
    word,
)


def result_text(result: str | None, lang: Lang, *, stopped: bool = False) -> str:
    """A stopped erase is said as stopped, never as a failure calling for destruction."""
    if stopped:
        return word("stopped", lang)
    return word(result, lang) if result else word("no_result", lang)


def section_rows(facts: dict[str, Any], lang: Lang) -> list[tuple[str, list[tuple[str, str]]]]:
    """The certificate's sections, each a list of (label, value) rows."""
    missing = word("not_recorded", lang)
    disk = facts["disk"]
    source = facts.get("source_device") or {}

    def show(value: object) -> str:
        return text_or_missing(value, lang)

    return [
        (
            word("media", lang),
            [
                (word("manufacturer", lang), show(disk.get("manufacturer"))),
                (word("model", lang), show(disk.get("model"))),
                (word("serial", lang), show(disk.get("serial"))),
                (word("wwn", lang), show(disk.get("wwn"))),
                (word("media_type", lang), show(disk.get("media_type"))),
                (word("bus", lang), f"{show(disk.get('bus'))} / {show(disk.get('bridge'))}"),
                (word("capacity", lang), size(disk.get("capacity_bytes"), lang)),
                (word("native_max", lang), show(disk.get("native_max_sectors"))),
                (word("hpa_dco", lang), _hpa_dco(disk, lang)),
            ],
        ),
        (
            word("source", lang),
            [
                (word("asset", lang), show(source.get("asset_tag"))),
                (word("host", lang), _host(source) or missing),
            ],
        ),
        (
            word("method_section", lang),
            [
                (word("method", lang), show((facts.get("method") or "").capitalize() or None)),
                (word("technique", lang), show(facts.get("technique"))),
                (word("passes", lang), _passes(facts.get("passes") or [], lang)),
                (word("tools", lang), ", ".join(facts.get("tools") or []) or missing),
                (word("commands", lang), _commands(facts.get("commands") or [], lang)),
                (word("profile", lang), show(facts.get("profile"))),
            ],
        ),
        (word("verification", lang), _verification(facts.get("verification"), lang)),
        (
            word("smart", lang),
            [
                (word("before", lang), _smart(facts.get("smart_before"), lang)),
                (word("after", lang), _smart(facts.get("smart_after"), lang)),
            ],
        ),
        (
            word("times", lang),
            [
                (word("start", lang), local_time(facts.get("started_at"), lang, seconds=True)),
                (word("end", lang), local_time(facts.get("ended_at"), lang, seconds=True)),
                (word("duration", lang), duration(facts.get("duration_s"), lang)),
                (word("throughput", lang), _throughput(facts.get("throughput"), lang)),
            ],
        ),
        (
            word("people", lang),
            [
                (word("operator", lang), show(facts.get("operator"))),
                (word("bench", lang), show(facts.get("bench_id"))),
                (word("supervisor", lang), _supervisor(facts.get("supervisor"), lang)),
                (word("destination", lang), show(facts.get("destination"))),
            ],
        ),
    ]


def _host(source: dict[str, Any]) -> str:
    name = " ".join(str(source[k]) for k in ("manufacturer", "product") if source.get(k))
    serial = f"S/N {source['serial']}" if source.get("serial") else ""
    return " — ".join(part for part in (name, serial) if part)


def _hpa_dco(disk: dict[str, Any], lang: Lang) -> str:
    parts = []
    for name in ("hpa", "dco"):
        changes = disk.get(name)
        if changes:
            last = changes[-1]
            parts.append(
                f"{name.upper()}: {last.get('action')} "
                f"({last.get('max_sectors_before')} → {last.get('max_sectors_after')})"
            )
    return "; ".join(parts) or word("not_recorded", lang)


def _passes(passes: list[dict[str, Any]], lang: Lang) -> str:
    if not passes:
        return word("none", lang)
    lines = []
    for item in passes:
        pattern = str(item.get("pattern"))
        if item.get("pattern_hex"):
            pattern += f" (0x{str(item['pattern_hex'])[:8]})"
        done = word("yes", lang) if item.get("completed") else word("no", lang)
        lines.append(
            f"{item.get('index')}/{item.get('count')} {pattern}: "
            f"{size(item.get('bytes_written'), lang)}, "
            + ("terminée " if lang == "fr" else "completed ")
            + done
            + (f", {item['bad_ranges']} zone(s) illisible(s)" if item.get("bad_ranges") else "")
        )
    return "\n".join(lines)


def _commands(commands: list[dict[str, Any]], lang: Lang) -> str:
    if not commands:
        return word("none", lang) + (
            " (écrasement fait par Station elle-même)"
            if lang == "fr"
            else " (overwrite done by Station itself)"
        )
    lines = []
    for command in commands:
        code = "timeout" if command.get("timed_out") else command.get("exit_code")
        lines.append(f"{' '.join(command.get('argv') or [])} → {code}")
    return "\n".join(lines)


def _verification(check: dict[str, Any] | None, lang: Lang) -> list[tuple[str, str]]:
    if check is None:
        return [(word("verification", lang), word("not_recorded", lang))]
    coverage = check.get("coverage_percent")
    mode = str(check.get("mode"))
    return [
        (word("verif_mode", lang), word(mode, lang) if mode in ("full", "sampled") else mode),
        (
            word("coverage", lang),
            f"{decimal(float(coverage), lang)} %"
            if coverage is not None
            else word("not_recorded", lang),
        ),
        (
            word("seed", lang),
            word("not_applicable", lang)
            if mode == "full" and not check.get("seed_hex")
            else text_or_missing(check.get("seed_hex"), lang),
        ),
        (word("expected", lang), text_or_missing(check.get("expected"), lang)),
        (
            word("mismatches", lang),
            f"{check.get('mismatched_ranges')} / {check.get('unreadable_ranges')}",
        ),
        (word("result", lang), result_text(check.get("result"), lang)),
    ]


def _smart(smart: dict[str, Any] | None, lang: Lang) -> str:
    if not smart:
        return word("not_recorded", lang)
    parts = [f"{smart.get('verdict')} ({smart.get('overall_health')})"]
    for key, label in (
        ("power_on_hours", "h"),
        ("reallocated_sectors", "realloc"),
        ("pending_sectors", "pending"),
        ("media_errors", "media err."),
        ("percentage_used", "% used"),
    ):
        if smart.get(key) is not None:
            parts.append(f"{smart[key]} {label}")
    return ", ".join(parts)


def _throughput(throughput: dict[str, Any] | None, lang: Lang) -> str:
    if not throughput or throughput.get("average_mbps") is None:
        return word("not_recorded", lang)
    return (
        f"{decimal(float(throughput['average_mbps']), lang)} Mo/s"
        if lang == "fr"
        else (f"{throughput['average_mbps']} MB/s")
    )


def _decision(decision: object, lang: Lang) -> str:
    return word(str(decision), lang) if decision in ("approved", "rejected") else str(decision)


def _supervisor(supervisor: dict[str, Any] | None, lang: Lang) -> str:
    if not supervisor:
        return word("not_validated", lang)
    return (
        f"{supervisor.get('supervisor')} — {_decision(supervisor.get('decision'), lang)} — "
        f"{local_time(supervisor.get('signed_at'), lang)} "
        f"(record {str(supervisor.get('record_id'))[:16]}…)"
    )
