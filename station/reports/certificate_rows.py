"""The certificate's printed sections as (label, value) rows, in French or English.

`summary_sections` is page 1, for the donor, in plain words; `annex_sections` is the
technical annex. "Not recorded" where the records are silent, and `missing_fields` says
why each such field is missing. `printed_claims` lists the facts page 1 must show, so
`station verify` can check a printed PDF against its embedded signed records.
"""

from __future__ import annotations

from typing import Any

from station.reports.certificate_terms import (
    nist_method,
    technique_text,
    term,
)
from station.reports.wording import (
    Lang,
    decimal,
    duration,
    local_time,
    size,
    text_or_missing,
    word,
)

Rows = list[tuple[str, str]]


def result_text(result: str | None, lang: Lang, *, stopped: bool = False) -> str:
    """A stopped erase is said as stopped, never as a failure calling for destruction."""
    if stopped:
        return word("stopped", lang)
    return word(result, lang) if result else word("no_result", lang)


def _fr(lang: Lang, fr: str, en: str) -> str:
    return fr if lang == "fr" else en


def _show(value: object, lang: Lang) -> str:
    return text_or_missing(value, lang)


def short_size(value: int | None, lang: Lang) -> str:
    return size(value, lang).split(" (")[0]


def pass_summary(passes: list[dict[str, Any]], lang: Lang) -> str:
    """'1 passe : zéros' / '3 passes : aléatoire, complément…, aléatoire'."""
    if not passes:
        return ""
    patterns = ", ".join(term(item.get("pattern"), lang) for item in passes)
    count = len(passes)
    noun = _fr(lang, "passe" if count == 1 else "passes", "pass" if count == 1 else "passes")
    return f"{count} {noun} : {patterns}" if lang == "fr" else f"{count} {noun}: {patterns}"


def method_lines(facts: dict[str, Any], lang: Lang) -> tuple[str, str]:
    """(standard line, technique line) as page 1 prints them."""
    standard = nist_method(facts.get("method"), lang) or word("not_recorded", lang)
    technique = technique_text(facts.get("technique"), lang) or word("not_recorded", lang)
    passes = pass_summary(facts.get("passes") or [], lang)
    return standard, f"{technique} — {passes}" if passes else technique


def verification_line(check: dict[str, Any] | None, lang: Lang) -> str:
    if check is None:
        return _fr(lang, "aucune relecture enregistrée", "no read-back recorded")
    coverage = check.get("coverage_percent")
    amount = f"{decimal(float(coverage), lang)} %" if coverage is not None else "?"
    if check.get("mode") == "full":
        return _fr(
            lang,
            f"relecture complète : {amount} du disque relu et comparé",
            f"full read-back: {amount} of the disk read and compared",
        )
    seed = check.get("seed_hex") or "?"
    return _fr(
        lang,
        f"relecture par échantillons tirés au hasard : {amount} du disque, graine 0x{seed}",
        f"random sampled read-back: {amount} of the disk, seed 0x{seed}",
    )


def supervisor_line(facts: dict[str, Any], lang: Lang) -> str:
    supervisor = facts.get("supervisor")
    day = local_time(facts.get("ended_at"), lang).split(" ")[0]
    if not supervisor:
        return _fr(
            lang,
            f"journée du {day} pas encore visée par l'encadrant",
            f"the day {day} is not signed off by the supervisor yet",
        )
    decision = word(str(supervisor.get("decision")), lang)
    return _fr(
        lang,
        f"journée visée par {supervisor.get('supervisor')} ({decision}) le "
        f"{local_time(supervisor.get('signed_at'), lang)}",
        f"day signed off by {supervisor.get('supervisor')} ({decision}) on "
        f"{local_time(supervisor.get('signed_at'), lang)}",
    )


def _host_name(source: dict[str, Any]) -> str | None:
    name = " ".join(str(source[k]) for k in ("manufacturer", "product") if source.get(k))
    return name or None


def summary_sections(facts: dict[str, Any], lang: Lang) -> list[tuple[str, Rows]]:
    """Page 1: who gave the machine, which disk, how it was erased, what came of it."""
    disk = facts["disk"]
    source = facts.get("source_device") or {}
    standard, technique = method_lines(facts, lang)
    return [
        (
            _fr(lang, "Donateur et machine d'origine", "Donor and source machine"),
            [
                (_fr(lang, "Donateur", "Donor"), _show(facts.get("donor"), lang)),
                (_fr(lang, "Lot", "Lot"), _show(facts.get("lot"), lang)),
                (word("asset", lang), _show(source.get("asset_tag"), lang)),
                (_fr(lang, "Marque et modèle", "Make and model"), _show(_host_name(source), lang)),
                (
                    _fr(lang, "N° de série de la machine", "Machine serial number"),
                    _show(source.get("serial"), lang),
                ),
            ],
        ),
        (
            _fr(lang, "Disque effacé", "Erased disk"),
            [
                (word("manufacturer", lang), _show(disk.get("manufacturer"), lang)),
                (word("model", lang), _show(disk.get("model"), lang)),
                (word("serial", lang), _show(disk.get("serial"), lang)),
                (word("capacity", lang), short_size(disk.get("capacity_bytes"), lang)),
                (word("media_type", lang), _show_term(disk.get("media_type"), lang)),
            ],
        ),
        (
            _fr(lang, "Méthode et vérification", "Method and verification"),
            [
                (_fr(lang, "Norme", "Standard"), standard),
                (word("technique", lang), technique),
                (word("verification", lang), verification_line(facts.get("verification"), lang)),
                (word("profile", lang), _show(facts.get("profile"), lang)),
            ],
        ),
        (
            word("result", lang),
            [
                (word("result", lang), _result(facts, lang)),
                (
                    _fr(lang, "Date et heure", "Date and time"),
                    _fr(lang, "", "")
                    + local_time(facts.get("ended_at"), lang)
                    + _fr(lang, " (heure de Paris)", ""),
                ),
                (word("operator", lang), _show(facts.get("operator"), lang)),
                (word("bench", lang), _show(facts.get("bench_id"), lang)),
                (
                    _fr(lang, "Visa de l'encadrant", "Supervisor sign-off"),
                    supervisor_line(facts, lang),
                ),
            ],
        ),
    ]


def printed_claims(facts: dict[str, Any], lang: Lang) -> list[tuple[str, str]]:
    """(field, text) pairs page 1 must show word for word: what a forger would change."""
    disk = facts["disk"]
    source = facts.get("source_device") or {}
    standard, _ = method_lines(facts, lang)
    claims = [
        ("result", _result(facts, lang)),
        ("asset_tag", _show(source.get("asset_tag"), lang)),
        ("disk.serial", _show(disk.get("serial"), lang)),
        ("disk.model", _show(disk.get("model"), lang)),
        ("profile", _show(facts.get("profile"), lang)),
        ("method", standard),
        ("ended_at", local_time(facts.get("ended_at"), lang)),
        ("operator", _show(facts.get("operator"), lang)),
    ]
    if facts.get("lot"):
        claims.append(("lot", str(facts["lot"])))
    return claims


def _result(facts: dict[str, Any], lang: Lang) -> str:
    return result_text(facts.get("result"), lang, stopped=bool(facts.get("stopped")))


def _show_term(value: object, lang: Lang) -> str:
    return term(value, lang) if value else word("not_recorded", lang)


def annex_sections(facts: dict[str, Any], lang: Lang) -> list[tuple[str, Rows]]:
    """The technical annex: every recorded detail, in the document's language."""
    disk = facts["disk"]
    source = facts.get("source_device") or {}
    sections = [
        (
            word("media", lang),
            [
                (word("manufacturer", lang), _with_origin(disk, "manufacturer", lang)),
                (
                    _fr(lang, "Famille de modèle", "Model family"),
                    _show(disk.get("model_family"), lang),
                ),
                (word("model", lang), _show(disk.get("model"), lang)),
                (word("serial", lang), _show(disk.get("serial"), lang)),
                (word("wwn", lang), _show(disk.get("wwn"), lang)),
                (_fr(lang, "Micrologiciel", "Firmware"), _show(disk.get("firmware"), lang)),
                (word("media_type", lang), _show_term(disk.get("media_type"), lang)),
                (word("bus", lang), _show_term(disk.get("bus"), lang)),
                (word("capacity", lang), size(disk.get("capacity_bytes"), lang)),
                (word("native_max", lang), _show(disk.get("native_max_sectors"), lang)),
                (word("hpa_dco", lang), _hpa_dco(disk, lang)),
                (_fr(lang, "Vu comme", "Seen as"), _show(disk.get("path"), lang)),
            ],
        ),
        (
            word("source", lang),
            [
                (word("asset", lang), _with_origin(source, "asset_tag", lang)),
                (word("host", lang), _show(_host_name(source), lang)),
                (_fr(lang, "N° de série", "Serial"), _show(source.get("serial"), lang)),
                (_fr(lang, "UUID", "UUID"), _show(source.get("uuid"), lang)),
            ],
        ),
        (
            word("method_section", lang),
            [
                (word("method", lang), method_lines(facts, lang)[0]),
                (
                    word("technique", lang),
                    _show(technique_text(facts.get("technique"), lang), lang),
                ),
                (word("purge", lang), _purge(facts.get("purge_commands") or [], lang)),
                (word("passes", lang), _passes(facts.get("passes") or [], lang)),
                (word("tools", lang), _tools(facts.get("tools") or [], lang)),
                (word("commands", lang), _commands(facts.get("commands") or [], lang)),
                (word("profile", lang), _show(facts.get("profile"), lang)),
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
                (word("operator", lang), _show(facts.get("operator"), lang)),
                (word("bench", lang), _show(facts.get("bench_id"), lang)),
                (word("supervisor", lang), supervisor_line(facts, lang)),
                (word("destination", lang), _show(facts.get("destination"), lang)),
            ],
        ),
    ]
    for deploy in facts.get("deploy") or []:
        sections.append(
            (
                _fr(
                    lang,
                    "Après l'effacement : déploiement de l'image",
                    "After the erasure: image deploy",
                ),
                [
                    (_fr(lang, "Image", "Image"), _show(deploy.get("image_name"), lang)),
                    (
                        _fr(lang, "Empreinte SHA-256", "SHA-256"),
                        _show(deploy.get("image_sha256"), lang),
                    ),
                    (_fr(lang, "Profil", "Profile"), _show(deploy.get("profile"), lang)),
                    (_fr(lang, "Issue", "Outcome"), _show_term(deploy.get("outcome"), lang)),
                    (word("commands", lang), _commands(deploy.get("commands") or [], lang)),
                ],
            )
        )
    missing = missing_fields(facts, lang)
    if missing:
        sections.append(
            (
                _fr(lang, "Champs non enregistrés, et pourquoi", "Fields not recorded, and why"),
                missing,
            )
        )
    return sections


_WHY = {
    "donor": (
        "aucun donateur indiqué à l'effacement (station wipe --donor)",
        "no donor given at the erasure (station wipe --donor)",
    ),
    "lot": (
        "aucun lot indiqué à l'effacement (station wipe --lot)",
        "no lot given (station wipe --lot)",
    ),
    "asset_tag": (
        "aucun numéro d'inventaire saisi : ni à l'effacement (--asset-tag, touche E du poste), "
        "ni au déploiement, ni dans l'inventaire de la machine",
        "no asset tag typed: not at the erasure (--asset-tag, key E on the bench), not at the "
        "deploy, not in the machine inventory",
    ),
    "host": (
        "pas d'inventaire de la machine (station host --record) ni de déploiement avec "
        "identité SMBIOS",
        "no machine inventory (station host --record) nor deploy with an SMBIOS identity",
    ),
    "manufacturer": (
        "ni la famille de modèle, ni le WWN, ni le nom de modèle ne désignent un fabricant",
        "neither the model family, the WWN nor the model name names a manufacturer",
    ),
    "serial": (
        "le disque ne donne pas de numéro de série (disque virtuel, fichier ou boîtier USB)",
        "the disk gives no serial number (virtual disk, file or USB enclosure)",
    ),
    "wwn": ("le disque ne publie pas de WWN", "the disk publishes no WWN"),
    "model_family": (
        "smartctl n'a pas tourné avant l'effacement, ou sa base ne connaît pas ce modèle",
        "smartctl did not run before the erasure, or its database does not know this model",
    ),
    "verification": (
        "aucune relecture enregistrée : l'effacement n'est pas certifié",
        "no read-back recorded: the erasure is not certified",
    ),
    "native_max": (
        "pas de commande HPA/DCO (disque non ATA ou profil sans contrôle des zones cachées)",
        "no HPA/DCO command (not an ATA disk, or a profile without hidden-area checks)",
    ),
    "smart": (
        "pas de bilan SMART enregistré (station wipe ne lance pas smartctl ; le poste, si)",
        "no SMART assessment recorded (station wipe does not run smartctl; the bench does)",
    ),
    "destination": (
        "aucun enregistrement ne porte encore la destination du support",
        "no record carries the media destination yet",
    ),
}


def missing_fields(facts: dict[str, Any], lang: Lang) -> Rows:
    """Each field printed 'not recorded', with the reason."""
    disk = facts["disk"]
    source = facts.get("source_device") or {}
    silent = {
        "donor": not facts.get("donor"),
        "lot": not facts.get("lot"),
        "asset_tag": not source.get("asset_tag"),
        "host": not (source.get("serial") or source.get("product")),
        "manufacturer": not disk.get("manufacturer"),
        "serial": not disk.get("serial"),
        "wwn": not disk.get("wwn"),
        "model_family": not disk.get("model_family"),
        "verification": not facts.get("verification"),
        "native_max": not disk.get("native_max_sectors"),
        "smart": not (facts.get("smart_before") or facts.get("smart_after")),
        "destination": not facts.get("destination"),
    }
    labels = {
        "donor": _fr(lang, "Donateur", "Donor"),
        "lot": "Lot",
        "asset_tag": word("asset", lang),
        "host": word("host", lang),
        "manufacturer": word("manufacturer", lang),
        "serial": word("serial", lang),
        "wwn": word("wwn", lang),
        "model_family": _fr(lang, "Famille de modèle", "Model family"),
        "verification": word("verification", lang),
        "native_max": word("native_max", lang),
        "smart": "SMART",
        "destination": word("destination", lang),
    }
    index = 0 if lang == "fr" else 1
    return [(labels[name], _WHY[name][index]) for name, empty in silent.items() if empty]


def record_rows(facts: dict[str, Any], lang: Lang) -> list[tuple[str, str, str]]:
    return [(str(r["seq"]), term(r["kind"], lang), str(r["record_id"])) for r in facts["records"]]


def _with_origin(facts: dict[str, Any], key: str, lang: Lang) -> str:
    """A fact and where it came from (`{key}_from`), e.g. « EPN-4242 (saisi au banc) »."""
    if not facts.get(key):
        return word("not_recorded", lang)
    origin = facts.get(f"{key}_from")
    said = term(f"from_{origin}", lang) if origin else ""
    return f"{facts[key]} ({said})" if said else str(facts[key])


def _hpa_dco(disk: dict[str, Any], lang: Lang) -> str:
    parts = []
    for name in ("hpa", "dco"):
        changes = disk.get(name)
        if changes:
            last = changes[-1]
            parts.append(
                f"{name.upper()} : {term(last.get('action'), lang)} "
                f"({last.get('max_sectors_before')} → {last.get('max_sectors_after')})"
            )
    return "; ".join(parts) or word("not_recorded", lang)


def _purge(purges: list[dict[str, Any]], lang: Lang) -> str:
    """Whether the drive's own Purge ran, and when not, why (as recorded)."""
    if not purges:
        return word("not_asked", lang)
    last = purges[-1]
    if last.get("completed"):
        return f"{word('done', lang)} : {last.get('technique')}"
    notes = [str(n) for n in last.get("notes") or []]
    if last.get("supported") is False and len(notes) >= 2:
        why = notes[0] if lang == "fr" else notes[1]
    else:
        why = "; ".join(notes) or word("not_recorded", lang)
    return f"{word('not_done', lang)} : {why}"


def _passes(passes: list[dict[str, Any]], lang: Lang) -> str:
    if not passes:
        return word("none", lang)
    lines = []
    for item in passes:
        pattern = term(item.get("pattern"), lang)
        if item.get("pattern_hex"):
            pattern += f" (0x{str(item['pattern_hex'])[:8]})"
        done = word("yes", lang) if item.get("completed") else word("no", lang)
        bad = item.get("bad_ranges")
        lines.append(
            f"{item.get('index')}/{item.get('count')} {pattern} : "
            f"{size(item.get('bytes_written'), lang)}, "
            + _fr(lang, "terminée ", "completed ")
            + done
            + (
                _fr(lang, f", {bad} zone(s) illisible(s)", f", {bad} unreadable range(s)")
                if bad
                else ""
            )
            + (_fr(lang, ", reprise après coupure", ", resumed") if item.get("resumed") else "")
        )
    return "\n".join(lines)


def _tools(tools: list[dict[str, Any]], lang: Lang) -> str:
    if not tools:
        return word("none", lang)
    uses = {
        "overwrite": _fr(lang, "écriture des passes et relecture", "wrote the passes, read back"),
        "command": _fr(lang, "commande externe", "external command"),
    }
    return "\n".join(
        " ".join(str(p) for p in (tool.get("name"), tool.get("version")) if p)
        + f" ({uses.get(str(tool.get('use')), str(tool.get('use')))})"
        for tool in tools
    )


def _commands(commands: list[dict[str, Any]], lang: Lang) -> str:
    if not commands:
        return word("none", lang) + _fr(
            lang,
            " (écrasement fait par Station elle-même, sans commande externe)",
            " (overwrite done by Station itself, no external command)",
        )
    lines = []
    for command in commands:
        code = (
            _fr(lang, "délai dépassé", "timed out")
            if command.get("timed_out")
            else command.get("exit_code")
        )
        lines.append(f"{' '.join(command.get('argv') or [])} → {code}")
    return "\n".join(lines)


def _verification(check: dict[str, Any] | None, lang: Lang) -> Rows:
    if check is None:
        return [(word("verification", lang), word("not_recorded", lang))]
    mode = str(check.get("mode"))
    return [
        (word("verif_mode", lang), verification_line(check, lang)),
        (
            word("seed", lang),
            word("not_applicable", lang)
            if mode == "full" and not check.get("seed_hex")
            else text_or_missing(check.get("seed_hex"), lang),
        ),
        (
            _fr(lang, "Sous-sections", "Subsections"),
            _show(check.get("subsections"), lang)
            if mode == "sampled"
            else word("not_applicable", lang),
        ),
        (word("expected", lang), term(check.get("expected"), lang)),
        (_fr(lang, "Octets relus", "Bytes read"), size(check.get("bytes_checked"), lang)),
        (
            word("mismatches", lang),
            f"{check.get('mismatched_ranges')} / {check.get('unreadable_ranges')}",
        ),
        (word("result", lang), result_text(check.get("result"), lang)),
    ]


def _smart(smart: dict[str, Any] | None, lang: Lang) -> str:
    if not smart:
        return word("not_recorded", lang)
    health = smart.get("overall_health")
    health_text = term("failed_health" if health == "failed" else str(health), lang)
    parts = [f"{term(smart.get('verdict'), lang)} ({health_text})"]
    labels = {
        "power_on_hours": _fr(lang, "h de fonctionnement", "power-on hours"),
        "reallocated_sectors": _fr(lang, "secteurs réalloués", "reallocated sectors"),
        "pending_sectors": _fr(lang, "secteurs en attente", "pending sectors"),
        "media_errors": _fr(lang, "erreurs de support", "media errors"),
        "percentage_used": _fr(lang, "% d'usure", "% used"),
    }
    for key, label in labels.items():
        if smart.get(key) is not None:
            parts.append(f"{smart[key]} {label}")
    return ", ".join(parts)


def _throughput(throughput: dict[str, Any] | None, lang: Lang) -> str:
    if not throughput or throughput.get("average_mbps") is None:
        return word("not_recorded", lang)
    return _fr(
        lang,
        f"{decimal(float(throughput['average_mbps']), lang)} Mo/s (moyenne des passes, "
        "données écrites sur le disque)",
        f"{throughput['average_mbps']} MB/s (average of the passes, data flushed to the disk)",
    )
