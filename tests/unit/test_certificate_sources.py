"""Where each printed fact comes from: the erasure's profile (not a later deploy's), the
asset tag from whichever record says it, the manufacturer from the drive's identity,
and only the erasure's commands under "Méthode". Records signed by a real journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.cli import main
from station.domain.certificate import certificate_facts
from station.domain.manufacturer import manufacturer_of, oui_of
from station.domain.smart_facts import facts_from_json, facts_from_text
from station.journal.keys import generate_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.certificate import build_certificate
from station.reports.certificate_rows import annex_sections, summary_sections

SERIAL = "WD-WCC4N0000001"


def session(tmp_path: Path, *, typed_tag: str | None, deploy_tag: str | None) -> dict:
    """A wipe (profile nist-clear) followed by an image deploy (profile demo-linux)."""
    key = generate_key("bench-s1")
    seen = sample_body("disk_seen", profile="nist-clear", operator="op-4")
    if typed_tag:
        seen |= {"asset_tag": typed_tag, "lot": "L-2026-11", "donor": "Département Exemple"}
    host = {"asset_tag": deploy_tag, "identified_by": "asset_tag"} if deploy_tag else None
    with Journal(tmp_path / "j.sqlite3", key) as journal:
        journal.append_many(
            [
                seen,
                sample_body("overwrite_pass", profile="nist-clear", operator="op-4"),
                sample_body("verification", profile="nist-clear", operator="op-4"),
                sample_body(
                    "image_deploy",
                    profile="demo-linux",
                    operator="op-5",
                    host=host,
                    commands=[sample_body("self_test")["commands"][0] | {"argv": ["sgdisk", "-e"]}],
                ),
            ]
        )
        return build_certificate(journal, SERIAL).facts


def test_the_erasure_profile_not_the_deploys(tmp_path: Path) -> None:
    facts = session(tmp_path, typed_tag=None, deploy_tag="EPN-0007")
    assert facts["profile"] == "nist-clear"  # the deploy, signed last, says demo-linux
    assert facts["operator"] == "op-4"
    # The asset tag typed at the deploy reaches the certificate, saying where it came from.
    assert facts["source_device"]["asset_tag"] == "EPN-0007"
    assert facts["source_device"]["asset_tag_from"] == "image_deploy"
    # The deploy's commands are in its own section, never under the erasure's method.
    assert facts["commands"] == []
    assert "sgdisk" not in [tool["name"] for tool in facts["tools"]]
    assert facts["deploy"][0]["commands"][0]["argv"] == ["sgdisk", "-e"]
    titles = [title for title, _ in annex_sections(facts, "fr")]
    assert "Après l'effacement : déploiement de l'image" in titles


def test_asset_tag_lot_and_donor_typed_at_the_wipe(tmp_path: Path) -> None:
    facts = session(tmp_path, typed_tag="EPN-4242", deploy_tag="EPN-0007")
    assert facts["source_device"]["asset_tag"] == "EPN-4242"
    assert facts["source_device"]["asset_tag_from"] == "disk_seen"
    assert facts["lot"] == "L-2026-11" and facts["donor"] == "Département Exemple"
    page = dict(row for _, rows in summary_sections(facts, "fr") for row in rows)
    assert page["N° d'inventaire"] == "EPN-4242"
    assert page["Norme"] == "NIST SP 800-88 Rev. 2 — Clear (effacement logique)"
    assert page["Technique"].startswith("IEEE 2883 : Overwrite (écrasement) — 1 passe : aléatoire")
    assert page["Vérification"].startswith("relecture par échantillons tirés au hasard : 10,0 %")
    assert page["Type de support"] == "disque dur (plateaux)"


def test_every_annex_word_is_french(tmp_path: Path) -> None:
    facts = session(tmp_path, typed_tag="EPN-4242", deploy_tag=None)
    text = "\n".join(
        f"{label} {value}" for _, rows in annex_sections(facts, "fr") for label, value in rows
    )
    for english in ("overwrite", "zeros", " hdd", "unknown", "disk_seen", "smartctl smartctl"):
        assert english not in text, english


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        ({"model_family": "Western Digital Red"}, ("Western Digital", "model_family")),
        ({"model_family": "Crucial/Micron MX500 SSDs"}, ("Micron (Crucial)", "model_family")),
        ({"wwn": "0x5000c500a1b2c3d4", "model": "XYZ"}, ("Seagate", "wwn")),
        ({"wwn": "5 0014ee 261e584cb"}, ("Western Digital", "wwn")),
        ({"model": "Samsung SSD 860 EVO 500GB"}, ("Samsung", "model")),
        ({"model": "ST1000DM003-1CH162"}, ("Seagate", "model")),
        ({"model": "QEMU HARDDISK", "vendor": "ATA"}, None),
        ({"model": "Mass Storage", "vendor": "Verbatim"}, ("Verbatim", "vendor")),
    ],
)
def test_manufacturer_from_the_drive_identity(identity: dict, expected: object) -> None:
    assert manufacturer_of(**identity) == expected


def test_oui_of_a_wwn() -> None:
    assert oui_of("0x50014ee2b0000001") == "0014ee"
    assert oui_of("naa.5002538e40000000") == "002538"
    assert oui_of("eui.0025385b71b07e2f") is None  # an NVMe EUI-64 is not NAA 5
    assert oui_of(None) is None


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--asset-tag", "EPN\t42"), ("--asset-tag", "X" * 65), ("--lot", ""), ("--donor", "a\nb")],
)
def test_a_bad_asset_tag_is_refused_before_anything_is_written(
    flag: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "disk.img"
    target.write_bytes(b"user data" * 100)
    code = main(["wipe", str(target), "--yes", flag, value])
    assert code == 2
    assert f"{flag}: 1 to" in capsys.readouterr().err
    assert target.read_bytes() == b"user data" * 100


def test_model_family_read_from_real_smartctl_outputs() -> None:
    """The family smartctl's drive database names, from recorded outputs of real drives
    (tests/fixtures/devices/SOURCES.md), and the manufacturer it gives."""
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
    text = facts_from_text((folder / "ata-hdd-healthy-wd20efrx" / "smartctl-x.txt").read_text())
    assert text.model_family == "Western Digital Red"
    raw = (folder / "sata-ssd-samsung860evo-json" / "smartctl-x.json.txt").read_text()
    doc = json.loads(raw[raw.index("{") :])
    family = facts_from_json(doc).model_family
    assert family == "Samsung based SSDs"
    assert manufacturer_of(model_family=family) == ("Samsung", "model_family")
    # The bench's SMART record carries it; the certificate names the maker from it.
    seen = sample_body("disk_seen", disk={"model": "XYZ-1", "size_bytes": 1, "serial": "S"})
    smart = sample_body("smart_assessment", disk=seen["disk"], model_family=family)
    disk = certificate_facts([seen, smart])["disk"]
    assert (disk["manufacturer"], disk["manufacturer_from"]) == ("Samsung", "model_family")
