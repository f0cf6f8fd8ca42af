"""The deploy's frame source on a classroom laptop: udp-receiver, then HTTP for the rest.

`multicast_source(settings, image_url)` gives `DeployRequest.frame_source` a factory: it
starts udp-receiver once the targets passed their safety checks, reads its output
through `MulticastFrames` (each frame checked against the frame list, what the stream
missed fetched over HTTP ranges), and at the end stops the receiver and notes what it
said (a late laptop's "no session", a cut link's timeout) in the transport summary.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from station.devices import udpcast
from station.devices.udpcast import ReceiverSettings
from station.errors import ImageError
from station.imaging.frame_list import CheckedFrame
from station.imaging.multicast import MulticastFrames
from station.imaging.net_source import Transport
from station.imaging.raw_deploy import PackedReader

FrameSource = tuple[PackedReader, Callable[[], None]]


def multicast_source(
    settings: ReceiverSettings,
    image_url: str,
    on_frame: Callable[[str, int], None] | None = None,
) -> Callable[[list[CheckedFrame], Transport, threading.Event | None], FrameSource]:
    """A frame-source factory for DeployRequest.frame_source (see the module's docstring)."""

    def factory(
        checked: list[CheckedFrame], transport: Transport, cancel: threading.Event | None
    ) -> FrameSource:
        reason = udpcast.missing_tool("udp-receiver")
        if reason is not None:
            raise ImageError(f"{reason}: cannot join the classroom stream")
        receiver = udpcast.start(settings.argv(), stdout_pipe=True)
        transport.source = (
            f"multicast on {settings.interface} (udpcast port {settings.portbase}); "
            f"HTTP ranges from {image_url}"
        )
        frames = MulticastFrames(
            receiver.stdout, image_url, checked, transport, cancel=cancel, on_frame=on_frame
        )

        def close() -> None:
            frames.close()
            code = receiver.stop()
            last = receiver.messages.splitlines()[-1] if receiver.messages else ""
            if frames.ended_at is not None:
                transport.note = (
                    f"multicast stream ended at byte {frames.ended_at} "
                    f"(udp-receiver exit {code}: {last or 'no message'}); the rest came over HTTP"
                )

        return frames, close

    return factory
