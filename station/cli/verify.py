"""`station verify FILE`: check a signed record, an exported chain, a certificate JSON or
a certificate PDF (its embedded records and its printed facts) offline, against one or
more bench public keys. Exit 0 when valid; otherwise one line saying exactly what is
wrong and the RecordError exit code (8)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from station.cli.lang import cli_language, tr
from station.errors import UsageError
from station.journal.certificate_claims import check_qr, read_qr_payload
from station.journal.documents import load_document, verify_certificate, verify_document
from station.journal.envelope import key_id
from station.journal.keys import KEY_DIR_NAME, PUBLIC_KEY_FILE, load_public_key
from station.paths import data_dir
from station.reports.certificate_check import is_pdf, read_evidence, verify_pdf
from station.reports.function_report import verify_lines


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check signed records, a chain or a certificate offline",
        description="Check a signed record (one envelope), an exported chain (JSON list or "
        "JSON lines) or a certificate against bench public keys. Without --key, this "
        "bench's own public key is used.",
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument(
        "--key",
        type=Path,
        action="append",
        default=[],
        metavar="PUBKEY_PEM",
        help="a bench public key (PEM, as printed by `station journal key`); repeatable",
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="accept a chain that starts after seq 1 (e.g. one day's records)",
    )
    parser.add_argument(
        "--qr",
        type=Path,
        default=None,
        metavar="PAYLOAD_FILE",
        help="also check a certificate's scanned QR payload against the verified records",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if is_pdf(args.file):
        return _run_pdf(args)
    keys = _public_keys(args.key)
    verified = verify_document(load_document(args.file), keys, from_start=not args.partial)
    print(verified.summary(cli_language()))
    for line in verify_lines(verified.bodies, cli_language()):
        print(line)
    if args.qr is not None:
        named = check_qr(read_qr_payload(args.qr), verified.bodies, keys)
        print(
            tr(
                f"valid QR payload: it names {len(named)} of these signed records",
                f"QR valide : il désigne {len(named)} de ces enregistrements signés",
            )
        )
    return 0


def _run_pdf(args: argparse.Namespace) -> int:
    """A certificate PDF: its embedded records against the given key (or, failing one,
    the key it embeds, which proves integrity but not who signed)."""
    if args.key or _own_key().is_file():
        keys = _public_keys(args.key)
    else:
        keys = read_evidence(args.file).keys
        print(
            tr(
                "warning: no --key given: checked against the bench key embedded in the PDF; "
                "compare its keyid with the workshop's published key",
                "attention : sans --key, la vérification utilise la clé du banc jointe au "
                "PDF ; comparez son identifiant avec la clé publiée par l'atelier",
            ),
            file=sys.stderr,
        )
    checked = verify_pdf(args.file, keys)
    print(checked.summary(cli_language()))
    if args.qr is not None:
        evidence = read_evidence(args.file)
        bodies = [b for c in evidence.certificates for b in verify_certificate(c, keys)]
        named = check_qr(read_qr_payload(args.qr), bodies, keys)
        print(
            tr(
                f"valid QR payload: it names {len(named)} of these signed records",
                f"QR valide : il désigne {len(named)} de ces enregistrements signés",
            )
        )
    return 0


def _own_key() -> Path:
    return data_dir() / KEY_DIR_NAME / PUBLIC_KEY_FILE


def _public_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    if not paths:
        own = _own_key()
        if not own.is_file():
            raise UsageError("no public key: give the bench's key with --key BENCH_PUB.pem")
        paths = [own]
    keys = [load_public_key(path) for path in paths]
    return {key_id(key): key for key in keys}
