"""The `station` command line. Each sub-command lives in its own module of this package
and exposes `register(subparsers)`; errors become one clear line and an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from station import __version__
from station.applog import configure_logging
from station.cli.lang import cli_language, set_cli_language, tr
from station.errors import StationError

log = logging.getLogger(__name__)
EXIT_CRASH = 70  # EX_SOFTWARE: an internal error, never a verdict on a disk

# Sub-command modules, in the order `station --help` lists them.
COMMANDS = [
    "station.cli.wipe",
    "station.cli.profiles",
    "station.cli.disks",
    "station.cli.smart",
    "station.cli.verify",
    "station.cli.journal",
    "station.cli.sync",
    "station.cli.enrol",
    "station.cli.network",
    "station.cli.deploy",
    "station.cli.classroom",
    "station.cli.classroom_join",
    "station.cli.classroom_laptop",
    "station.cli.image",
    "station.cli.keys",
    "station.cli.certificate",
    "station.cli.daily_log",
    "station.cli.signoff",
    "station.cli.supervisor",
    "station.cli.host",
    "station.cli.label",
    "station.cli.fiche",
    "station.cli.tui",
    "station.cli.support",
]


# The command word of a module, where it is not the module's name with "-" for "_".
WORDS = {"station.cli.signoff": "sign-off"}


def command_word(module: str) -> str:
    return WORDS.get(module, module.rsplit(".", 1)[-1].replace("_", "-"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every sub-command, or only the module `only` when the command
    word is known: importing all of them (PDF, HTTP, TUI libraries) costs seconds on an
    old bench laptop and more under emulation."""
    parser = argparse.ArgumentParser(
        prog="station",
        description="Station: disk health, erasure, imaging and signed records for a "
        "reconditioning bench.",
    )
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    parser.add_argument(
        "--lang",
        dest="cli_lang",
        choices=("fr", "en"),
        default=None,
        help="language of the messages (default: $STATION_LANG, else the locale's, e.g. "
        "LANG=fr_FR.UTF-8)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        if only is None or name == only:
            importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # The command word: the first that is not an option nor the value of --lang.
    word = next(
        (
            w
            for i, w in enumerate(words)
            if not w.startswith("-") and words[i - 1 : i] != ["--lang"]
        ),
        None,
    )
    module = next((name for name in COMMANDS if command_word(name) == word), None)
    parser = build_parser(only=module)
    args = parser.parse_args(words)
    log_file = configure_logging()
    log.info("station %s: %s", __version__, " ".join(words))
    set_cli_language(getattr(args, "lang", None) or args.cli_lang)
    try:
        code: int = args.func(args)
    except StationError as exc:
        log.info("ended with exit %s: %s", exc.exit_code, exc.one_line())
        # The language every other line follows: --lang, else STATION_LANG, else LANG.
        print(f"station: {exc.one_line_in(cli_language())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(tr("station: interrupted", "station : interrompu"), file=sys.stderr)
        return 130
    except Exception:
        # A bug, not bad input: the traceback goes to the log, the bench gets one line.
        log.exception("unexpected error")
        where = f" ({log_file})" if log_file else ""
        print(
            "station : erreur inattendue. Appelez l'encadrant : les détails sont dans le "
            f"journal technique{where}. / unexpected error, details in the log.",
            file=sys.stderr,
        )
        return EXIT_CRASH
    return code


if __name__ == "__main__":
    sys.exit(main())
