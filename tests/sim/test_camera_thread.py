"""Each camera's blocking calls run in one thread of its own (glibc keeps a heap per thread:
frames read in whichever pool thread was free spread freed buffers over several heaps), and
the thread ends with the camera."""

from __future__ import annotations

import threading

import numpy as np

from edge_agent.drivers.doc_camera import DocCamera, DocCameraConfig
from protocols.messages import Health

SIZE = (320, 240)


class CountingSource:
    """A white desk that notes which thread read each frame."""

    def __init__(self) -> None:
        self.readers: list[threading.Thread] = []

    def read(self) -> tuple[bool, np.ndarray]:
        self.readers.append(threading.current_thread())
        return True, np.full((SIZE[1], SIZE[0], 3), 235, np.uint8)

    def release(self) -> None:
        pass


def camera(source: CountingSource, label: str) -> DocCamera:
    cfg = DocCameraConfig.model_validate(
        {
            "type": "doc_camera_uvc",
            "id": label,
            "device": "synthetic:",
            "width": SIZE[0],
            "height": SIZE[1],
            "warmup_frames": 0,
            "flush_frames": 0,
        }
    )
    return DocCamera(cfg, source)


async def test_probes_and_captures_share_the_cameras_own_thread_which_ends_with_it() -> None:
    first, second = CountingSource(), CountingSource()
    one, two = camera(first, "cam-a"), camera(second, "cam-b")
    for _ in range(3):
        assert await one.health() == (Health.OK, "")
        await one.capture()
        assert await two.health() == (Health.OK, "")
    assert len(set(first.readers)) == 1 and len(set(second.readers)) == 1
    mine, theirs = first.readers[0], second.readers[0]
    assert mine is not theirs
    assert mine is not threading.main_thread()
    await one.close()
    await two.close()
    mine.join(timeout=30)
    theirs.join(timeout=30)
    assert not mine.is_alive() and not theirs.is_alive()


async def test_a_closed_camera_can_be_used_again() -> None:
    source = CountingSource()
    cam = camera(source, "cam-c")
    assert await cam.health() == (Health.OK, "")
    await cam.close()
    assert await cam.health() == (Health.OK, "")
    await cam.close()
    assert len(set(source.readers)) == 2  # a new thread after the close
