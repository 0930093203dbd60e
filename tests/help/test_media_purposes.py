"""The call centre spells the media plane's stream purposes again (an import would be a cycle:
``cloud.media`` imports ``cloud.help.ref``); the two lists must stay the same."""

from __future__ import annotations

from typing import get_args

from cloud.help.calls_model import StreamPurpose as HelpPurpose
from cloud.media.backend import StreamPurpose as MediaPurpose


def test_the_call_centre_knows_the_media_planes_purposes() -> None:
    assert get_args(HelpPurpose) == get_args(MediaPurpose)
