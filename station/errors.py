"""Every error Station raises on purpose, and the exit code the CLI gives it.

The tree::

    StationError                  exit 1   anything Station failed to do
    ├── ConfigError               exit 2   bad configuration or input from the user
    │   ├── UsageError                     a command line that does not make sense
    │   └── ProfileError                   a profile file that is not valid (file, field, expected)
    ├── SafetyError               exit 5   Station refused to touch a target
    │   ├── TargetRefused                  a disk that failed the safety checks (with reasons)
    │   └── NotProven                      a supervisor who did not prove who they are
    ├── DeviceError               exit 6   the hardware or the kernel did not do what was asked
    │   ├── TargetGone                     the target disappeared (unplugged, detached)
    │   ├── MediaError                     I/O that failed even after retries
    │   └── CommandError                   an external tool failed, timed out or is missing
    ├── CheckpointError           exit 7   a resume checkpoint that cannot be used
    ├── RecordError               exit 8   signed records: bad signature, broken chain
    │   ├── SignatureError                 a signature that does not verify, an unknown key
    │   └── ChainError                     a gap, a fork or a reordering in a chain
    ├── JournalError              exit 9   the local journal cannot be read or written
    ├── SyncError                 exit 10  the inventory server could not be reached or refused
    ├── ImageError                exit 11  an image that is corrupt, too large or unsupported
    └── JobCancelled              exit 130 the operator cancelled; the state says where it stopped

Results of a wipe are not errors: `purged`, `cleared`, `cleared_with_warnings` and `failed`
are outcomes (see station.domain.results) and have their own exit codes in the CLI.
"""

from __future__ import annotations


class StationError(Exception):
    """Base of every error Station raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, french: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # What a French bench shows instead (rule 5: bad news in the trainee's language);
        # None when the English line is all there is.
        self.french = french

    def one_line(self) -> str:
        """The error as the single line the CLI prints."""
        return " ".join(self.message.split())

    def one_line_in(self, lang: str) -> str:
        """The single line in `lang` ("fr" or "en"), English when no French was given."""
        text = self.french if lang == "fr" and self.french else self.message
        return " ".join(text.split())


class ConfigError(StationError):
    exit_code = 2


class UsageError(ConfigError):
    pass


class ProfileError(ConfigError):
    """A profile that is not valid: says which file, which field and what was expected."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class SafetyError(StationError):
    exit_code = 5


class TargetRefused(SafetyError):
    """A target that failed the safety checks; `reasons` says each check that failed."""

    def __init__(
        self, target: str, reasons: list[str], french_reasons: list[str] | None = None
    ) -> None:
        self.target = target
        self.reasons = reasons
        french = f"{target} refusé : " + " ; ".join(french_reasons) if french_reasons else None
        super().__init__(f"refused {target}: " + "; ".join(reasons), french=french)


class NotProven(SafetyError):
    """A sign-off without the supervisor's secret, or with a wrong id or secret. The
    message never says which: it must not tell who the supervisors are."""


class DeviceError(StationError):
    exit_code = 6


class TargetGone(DeviceError):
    """The target disappeared mid-job (unplugged, detached, removed from the bus)."""


class MediaError(DeviceError):
    """I/O on the media failed even after retries."""


class CommandError(DeviceError):
    """An external tool failed, timed out, or is not installed."""


class CheckpointError(StationError):
    exit_code = 7


class RecordError(StationError):
    exit_code = 8


class SignatureError(RecordError):
    pass


class ChainError(RecordError):
    pass


class JournalError(StationError):
    exit_code = 9


class SyncError(StationError):
    exit_code = 10


class ImageError(StationError):
    exit_code = 11


class JobCancelled(StationError):
    exit_code = 130
