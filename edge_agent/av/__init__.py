"""Live camera + microphone streams (issue 16): the agent publishes WebRTC tracks with WHIP.

The cloud asks for a stream with the ``av_camera`` peripheral's ``stream_start`` call
(:mod:`protocols.av`); :class:`~edge_agent.av.streams.StreamDesk` keeps each asked stream up
(a :class:`~edge_agent.av.publisher.Publisher`: one peer connection and one encoder per
stream, a new WHIP session with backoff when the connection fails) until ``stream_stop``, a
refused token or a camera that is gone, and reports every change as a ``stream`` event.
aiortc is imported only by processes that stream. See ``docs/agent-av.md``.
"""
