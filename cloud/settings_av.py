"""The audio-and-video settings (issue 16) as one mixin of :class:`cloud.settings.Settings`: the
media relay (``docs/media.md``), the Janus backend (``docs/media-janus.md``), the 7x24
monitoring streams (``docs/live.md``) and the remote-help call centre (``docs/help-desk.md``)."""

from __future__ import annotations

from cloud.settings_helpdesk import HelpDeskSettings
from cloud.settings_janus import JanusSettings
from cloud.settings_media import MediaSettings
from cloud.settings_media_monitor import MediaMonitorSettings


class AvSettings(JanusSettings, MediaSettings, MediaMonitorSettings, HelpDeskSettings):
    """Every issue-16 setting; the order of the bases is the order in ``docs/settings.md``."""
