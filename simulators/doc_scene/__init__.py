"""Synthetic document-camera captures with exact ground truth (see :mod:`.render`).

``render`` composes a frame from the desk (``desk``), the page (``page``), its pose
(``pose``) and the light and camera (``light``); ``metric`` scores a detector's answer.
"""

from simulators.doc_scene.metric import jaccard
from simulators.doc_scene.render import Condition, Scene, generate, generate_scene

__all__ = ["Condition", "Scene", "generate", "generate_scene", "jaccard"]
