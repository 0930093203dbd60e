"""Hall content on a full disk (a real ENOSPC on a tiny tmpfs): a body that cannot be stored
is refused and counted, the one held before stays whole on disk (written to a temporary file
and renamed, never truncated in place), and nothing raises into the link."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

from edge_agent.hall import HallContent
from protocols.envelope import MsgType, encode
from protocols.topics import site_topic
from tests.agent.hall_kit import CLOUD, live

SITE = "qh/hx/golmud/hhl"


def fill(disk: Path) -> None:
    """Write until the file system is full."""
    fd = os.open(disk / "ballast", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)


async def test_a_full_disk_refuses_the_new_body_and_keeps_the_old_one_whole(
    small_disk: Callable[[str], Path],
) -> None:
    disk = small_disk("256k")
    hall = HallContent(SITE, disk, cloud_url=None)
    topic = site_topic(SITE, "live")

    def payload(version: int) -> bytes:
        calls = [(f"A{n:03d}", "3") for n in range(20)]
        return encode(CLOUD.envelope(MsgType.CONTENT, live(SITE, version, calls)))

    await hall.on_message(topic, payload(1))
    assert hall.store.version("live") == 1
    fill(disk)
    await hall.on_message(topic, payload(2))  # never raises into the link
    assert hall.refused["not_stored"] == 1
    assert hall.store.version("live") == 1
    kept = json.loads((disk / "content" / "live.json").read_text())
    assert kept["version"] == 1 and len(kept["calls"]) == 20
    assert [p.name for p in (disk / "content").iterdir()] == ["live.json"]  # no temp left

    (disk / "ballast").unlink()
    await hall.on_message(topic, payload(3))
    assert hall.store.version("live") == 3
