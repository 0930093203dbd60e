"""A seeded synthetic document camera (高拍仪): a ``cv2.VideoCapture`` look-alike whose frames
are photos of a page with known corners (rendered by :mod:`simulators.doc_scene`).

``device = "synthetic:[condition][?seed=N&size=WxH]"`` in an agent's ``doc_camera_uvc`` config
opens :func:`source_from_name` once the world has registered it with the agent's driver.
"""

from __future__ import annotations

from simulators.doc_scene import (
    HELD_OUT,
    TUNING,
    Condition,
    Scene,
    generate,
    generate_scene,
    jaccard,
)
from simulators.doc_scene.pixels import Image

__all__ = [
    "HELD_OUT",
    "TUNING",
    "Condition",
    "FrameSource",
    "Scene",
    "SyntheticFrameSource",
    "generate",
    "generate_scene",
    "jaccard",
    "source_from_name",
]


class SyntheticFrameSource:
    """Mimics ``cv2.VideoCapture``: ``read() -> (ok, frame)``, ``isOpened()``, ``release()``.

    Frames cycle through the conditions (or one fixed ``condition``) with seeds ``seed``,
    ``seed + 1``, ... Fault switches: ``closed`` (never opens, like an unplugged camera) and
    ``drop_every`` (every n-th read fails, like a USB hiccup); ``blank`` lays an empty sheet
    under the camera (a citizen who put the page face down) until it is switched off.
    """

    def __init__(
        self,
        condition: Condition | str | None = None,
        seed: int = 0,
        size: tuple[int, int] = (1920, 1080),
        *,
        closed: bool = False,
        drop_every: int = 0,
        blank: bool = False,
    ) -> None:
        self.condition = Condition(condition) if condition else None
        self.seed = seed
        self.size = size
        self.closed = closed
        self.drop_every = drop_every
        self.blank = blank
        self.reads = 0
        self.last: Scene | None = None

    def isOpened(self) -> bool:  # the VideoCapture spelling
        return not self.closed

    def read(self) -> tuple[bool, Image | None]:
        if self.closed:
            return False, None
        self.reads += 1
        if self.drop_every and self.reads % self.drop_every == 0:
            return False, None
        conds = [self.condition] if self.condition else list(Condition)
        n = self.seed + self.reads - 1
        kind = "blank" if self.blank else None
        self.last = generate_scene(n, conds[n % len(conds)], self.size, kind=kind)
        return True, self.last.frame

    def release(self) -> None:
        self.closed = True


FrameSource = SyntheticFrameSource  # the name the driver's docs use


#: every source opened by name, newest last (a test reaches the kiosk's camera through it)
OPENED: list[SyntheticFrameSource] = []


def source_from_name(name: str) -> SyntheticFrameSource:
    """``synthetic:[condition][?seed=N&size=WxH&blank=1]`` → a source (``synthetic:`` cycles
    all); the source is also appended to :data:`OPENED`."""
    spec = name.removeprefix("synthetic:")
    cond, _, query = spec.partition("?")
    opts = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    w, _, h = opts.get("size", "1920x1080").partition("x")
    source = SyntheticFrameSource(
        cond or None, int(opts.get("seed", 0)), (int(w), int(h)), blank=opts.get("blank") == "1"
    )
    OPENED.append(source)
    del OPENED[:-8]  # the newest few: a long demo reopens now and then
    return source
