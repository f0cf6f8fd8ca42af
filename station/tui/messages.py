"""Messages the workers and the disk watcher post to the app (from their threads)."""

from __future__ import annotations

from textual.message import Message

from station.devices.udev import DiskEvent
from station.jobs.bench_sequence import SequenceOutcome, StageUpdate


class DiskChanged(Message):
    """A disk appeared, changed or went away (udev or the kernel said so)."""

    def __init__(self, event: DiskEvent) -> None:
        super().__init__()
        self.event = event


class StageChanged(Message):
    """Progress of one disk's sequence. Updates of the same disk at the same stage
    collapse in the queue (as toolong does), so 16 busy disks never lag the screen."""

    def __init__(self, update: StageUpdate) -> None:
        super().__init__()
        self.update = update

    def can_replace(self, message: Message) -> bool:
        # Called on the older message with the next one queued: the newer wins.
        return (
            isinstance(message, StageChanged)
            and message.update.target == self.update.target
            and message.update.stage == self.update.stage
        )


class SequenceFinished(Message):
    def __init__(self, target: str, outcome: SequenceOutcome) -> None:
        super().__init__()
        self.target = target
        self.outcome = outcome


class SequenceCrashed(Message):
    """The worker raised something the jobs layer did not turn into an outcome."""

    def __init__(self, target: str, error: str) -> None:
        super().__init__()
        self.target = target
        self.error = error
