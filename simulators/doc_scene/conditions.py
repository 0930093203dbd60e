"""The named conditions of a synthetic capture, and which of them a detector may be tuned on.

A detector tuned and scored on the same synthetic conditions learns the generator, not the
world. :data:`HELD_OUT` names conditions the detector's engineer must never look at while
tuning (no per-condition figures, no frames, no failure analysis): they are scored only, as
a stand-in for the desks and lights we have not imagined. They are chosen to be new in kind
but built from parts a good detector must already handle:

- ``grid_mat``: a cutting mat with a printed grid, i.e. long straight lines parallel to
  nothing in particular, many of them, both light and dark — a new desk, not a new trick;
- ``faint_shadow``: white paper on a light desk (3-8 % apart) with a soft shadow over it —
  the combination of two tuning conditions that the independent evaluation found hardest;
- ``uneven_texture``: a lamp to one side over a textured desk (stone, carpet, fibre, cloth).

:data:`TUNING` is every other condition, in declaration order.
"""

from __future__ import annotations

from enum import StrEnum


class Condition(StrEnum):
    """What makes a frame hard, one per frame (page content varies in every condition)."""

    # the original ten (agent configs and tests name them: ``synthetic:plain_desk``)
    PLAIN_DESK = "plain_desk"
    WOOD = "wood"
    CLOTH = "cloth"
    CLUTTER = "clutter"
    UNEVEN_LIGHT = "uneven_light"
    SHADOW = "shadow"
    LOW_CONTRAST = "low_contrast"
    HAND = "hand"
    BLUR_NOISE = "blur_noise"
    JPEG = "jpeg"
    # textured desks
    GRANITE = "granite"
    CARPET = "carpet"
    FIBRE_DESK = "fibre_desk"
    GRID_MAT = "grid_mat"
    # faint page/desk contrast: 3-8 % apart
    FAINT = "faint"
    FAINT_SHADOW = "faint_shadow"
    # occlusion
    FINGERS = "fingers"
    OVERLAP = "overlap"
    # geometry
    STEEP = "steep"
    FRAME_EDGE = "frame_edge"
    SMALL_PAGE = "small_page"
    # combinations
    UNEVEN_TEXTURE = "uneven_texture"


#: scored only, never tuned on (see the module docstring for why these)
HELD_OUT: frozenset[Condition] = frozenset(
    {Condition.GRID_MAT, Condition.FAINT_SHADOW, Condition.UNEVEN_TEXTURE}
)

#: the conditions a detector may be developed and tuned on
TUNING: tuple[Condition, ...] = tuple(c for c in Condition if c not in HELD_OUT)

#: conditions whose desk is a texture (for the uneven-texture combination too)
TEXTURED = (Condition.GRANITE, Condition.CARPET, Condition.FIBRE_DESK, Condition.CLOTH)
