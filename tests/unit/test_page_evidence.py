"""Page detection: what a side's evidence is measured on, and what a page shows that a
pattern does not.

- Lab is computed in floating point: 8-bit Lab rounds a faint white-on-white page edge's
  step (1-2 units near white) to one unit or none.
- A page shows at least one side stepping one way nearly all along; a quad cut out of a
  plaid or checked cloth shows none, however large (the size preference must not let a big
  patterned quad beat a small clean page).
"""

from __future__ import annotations

import numpy as np

from edge_agent.vision.page_detect import detect_page
from edge_agent.vision.page_lines import lab_of
from simulators.doc_camera import Condition, generate_scene, jaccard


def test_a_faint_step_near_white_is_not_rounded_away() -> None:
    paper, desk = (253, 254, 255), (250, 252, 253)  # white paper on a white desk, 1 % apart
    img = np.array([[paper, desk]], np.uint8)
    lab = lab_of(img)
    step = float(lab[0, 0, 0] - lab[0, 1, 0])
    assert step > 1.5  # the ranking's agreement threshold; 8-bit Lab gives 1
    assert abs(float(lab[0, 0, 0]) - 255 * 99.7 / 100) < 1.0  # same units as 8-bit Lab
    assert abs(float(lab[0, 0, 1]) - 128) < 1.0 and abs(float(lab[0, 0, 2]) - 129) < 1.0


def test_a_small_page_on_a_plaid_cloth_beats_the_big_plaid_quads() -> None:
    # a development frame (seed 9, a tuning condition): a small page on a plaid cloth whose
    # bands make large quads with every side ~85 % supported; the page's sides are 100 %
    scene = generate_scene(900_004, Condition.SMALL_PAGE)
    found = detect_page(scene.frame)
    assert found is not None
    assert jaccard(found.corners, scene.corners, scene.page_size) > 0.95
