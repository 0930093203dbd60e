"""Synthetic document-camera captures with exact ground truth (see :mod:`.render`).

``render`` composes a frame from the desk (``desk``, ``textures``), the page (``page``,
``page_art``, ``glyphs``), its pose (``pose``) and curl (``lay``), what covers it
(``occlude``), the light (``light``) and the camera (``camera``); ``metric`` scores a
detector's answer. ``conditions`` names the conditions and which are held out from tuning.
"""

from simulators.doc_scene.conditions import HELD_OUT, TUNING
from simulators.doc_scene.metric import jaccard
from simulators.doc_scene.render import Condition, Scene, generate, generate_scene

__all__ = ["HELD_OUT", "TUNING", "Condition", "Scene", "generate", "generate_scene", "jaccard"]
