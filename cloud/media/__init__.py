"""The media plane (issue 16): WHIP ingest from devices and operators, WHEP fan-out to viewers
(the console, the kiosk, the city monitoring platform), stream health.

One :class:`~cloud.media.backend.MediaBackend` does the media work: the in-process aiortc relay
(``cloud/media/relay*.py``, the default) or Janus (``cloud/media/janus*.py``) when one cloud
process is not enough. Routes and tokens never know which.
"""
