"""WHEP's client offer over Janus's server offer: two SDP answers made from two offers.

A WHEP viewer POSTs an offer and expects an answer. Janus's VideoRoom (1.1, Debian's) offers
to its subscribers itself and ignores a subscriber's offer. So the backend asks Janus for its
offer and answers *both* sides from the two offers: the viewer gets Janus's ICE credentials,
candidates, fingerprint, codecs and SSRCs in the viewer's own m-line order and mids; Janus
gets the viewer's ICE credentials, candidates and fingerprint. DTLS roles are fixed so they
agree (Janus is the DTLS server: ``setup:active`` to Janus, ``setup:passive`` to the viewer);
both sides believe they control ICE, which ICE's role-conflict rule resolves (RFC 8445
§7.3.1.1). RTP header extensions are not negotiated (the two sides' ids and mids differ):
the viewer tells the streams apart by the SSRCs signalled here. Payload types are Janus's
(what it sends); a codec the viewer did not offer makes the offer unusable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: codecs a stream through Janus carries (the room is created with these)
VIDEO_CODEC = "vp8"
AUDIO_CODEC = "opus"


class SdpError(ValueError):
    """An SDP that cannot be used, with the reason in words."""


@dataclass
class MediaSection:
    """One ``m=`` section: its kind, payload types and attribute lines (``a=`` without it)."""

    kind: str
    port: str
    proto: str
    formats: list[str]
    attributes: list[str] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        """The values of every ``a=name:value`` line."""
        prefix = name + ":"
        return [a[len(prefix) :] for a in self.attributes if a.startswith(prefix)]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    @property
    def mid(self) -> str | None:
        return self.first("mid")

    @property
    def direction(self) -> str:
        for d in ("sendrecv", "sendonly", "recvonly", "inactive"):
            if d in self.attributes:
                return d
        return "sendrecv"

    def codec_pt(self, name: str) -> str | None:
        """The payload type of codec ``name`` (case-insensitive), if offered."""
        for value in self.values("rtpmap"):
            pt, _, encoding = value.partition(" ")
            if encoding.split("/")[0].lower() == name and pt in self.formats:
                return pt
        return None


@dataclass
class SessionDescription:
    """A parsed SDP: session-level attribute lines and the media sections in order."""

    attributes: list[str]
    media: list[MediaSection]

    def attribute(self, name: str, section: MediaSection | None = None) -> str | None:
        """A media-level attribute, falling back to the session level (ICE, fingerprint)."""
        if section is not None and (value := section.first(name)) is not None:
            return value
        prefix = name + ":"
        return next((a[len(prefix) :] for a in self.attributes if a.startswith(prefix)), None)

    def attribute_all(self, name: str) -> list[str]:
        """Every session-level ``a=name:value`` value."""
        prefix = name + ":"
        return [a[len(prefix) :] for a in self.attributes if a.startswith(prefix)]


def parse(sdp: str) -> SessionDescription:
    """Parse the lines that matter here; raise :class:`SdpError` for what is not SDP."""
    lines = [line.strip() for line in sdp.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines or lines[0] != "v=0":
        raise SdpError("the body is not SDP (it must start with v=0)")
    session: list[str] = []
    media: list[MediaSection] = []
    for line in lines[1:]:
        kind, sep, value = line.partition("=")
        if not sep or len(kind) != 1:
            raise SdpError(f"line {line[:40]!r} is not an SDP line (x=value)")
        if kind == "m":
            parts = value.split()
            if len(parts) < 4:
                raise SdpError(f"media line {line[:60]!r} is incomplete")
            media.append(MediaSection(parts[0], parts[1], parts[2], parts[3:]))
        elif kind == "a":
            (media[-1].attributes if media else session).append(value)
    if not media:
        raise SdpError("the offer has no media section (m=audio or m=video)")
    return SessionDescription(session, media)


def _ice_lines(desc: SessionDescription, section: MediaSection) -> list[str]:
    ufrag = desc.attribute("ice-ufrag", section)
    pwd = desc.attribute("ice-pwd", section)
    if not ufrag or not pwd:
        raise SdpError("the offer has no ICE credentials (a=ice-ufrag/a=ice-pwd)")
    return [f"ice-ufrag:{ufrag}", f"ice-pwd:{pwd}"]


def _candidates(desc: SessionDescription) -> list[str]:
    """Every candidate line (BUNDLE: one transport, so the first section that has any)."""
    for section in desc.media:
        found = [f"candidate:{c}" for c in section.values("candidate")]
        if found:
            return found
    return [f"candidate:{c}" for c in desc.attribute_all("candidate")]


def _codec_lines(section: MediaSection, pt: str) -> list[str]:
    """rtpmap/fmtp/rtcp-fb of one payload type (transport-cc dropped: no extensions)."""
    keep = []
    for a in section.attributes:
        for name in ("rtpmap", "fmtp", "rtcp-fb"):
            if a.startswith(f"{name}:{pt} ") and "transport-cc" not in a:
                keep.append(a)
    return keep


def _fingerprint(desc: SessionDescription, section: MediaSection) -> str:
    value = desc.attribute("fingerprint", section)
    if not value:
        raise SdpError("the offer has no DTLS fingerprint (a=fingerprint)")
    return value


@dataclass(frozen=True)
class Pairing:
    """Which of the viewer's sections takes which of Janus's (by index), per kind."""

    viewer_to_janus: dict[int, int]


def pair_sections(viewer: SessionDescription, janus: SessionDescription) -> Pairing:
    """Match each receiving viewer section to an unused Janus section of the same kind whose
    codec the viewer offered; refuse an offer that would receive nothing."""
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for vi, vs in enumerate(viewer.media):
        if vs.port == "0" or vs.direction not in ("recvonly", "sendrecv"):
            continue
        for ji, js in enumerate(janus.media):
            if ji in used or js.kind != vs.kind or js.port == "0":
                continue
            codec = VIDEO_CODEC if js.kind == "video" else AUDIO_CODEC
            if vs.codec_pt(codec) is None:
                continue
            pairs[vi] = ji
            used.add(ji)
            break
    if not pairs:
        kinds = "/".join(sorted({s.kind for s in janus.media}))
        raise SdpError(
            f"the offer receives nothing this stream sends ({kinds} as VP8 video and Opus "
            "audio): offer recvonly m-lines with those codecs"
        )
    return Pairing(pairs)


def answer_for_viewer(viewer: SessionDescription, janus: SessionDescription, p: Pairing) -> str:
    """The SDP answer the WHEP viewer gets: Janus's transport, the viewer's m-lines."""
    accepted = [viewer.media[vi].mid or str(vi) for vi in sorted(p.viewer_to_janus)]
    first_janus = janus.media[min(p.viewer_to_janus.values())]
    out = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=kfleet janus", "t=0 0"]
    out.append("a=group:BUNDLE " + " ".join(accepted))
    out.append("a=fingerprint:" + _fingerprint(janus, first_janus))
    out.append("a=msid-semantic: WMS *")
    candidates = _candidates(janus)
    for vi, vs in enumerate(viewer.media):
        mid = vs.mid or str(vi)
        ji = p.viewer_to_janus.get(vi)
        if ji is None:
            out += [f"m={vs.kind} 0 {vs.proto} {vs.formats[0]}", "c=IN IP4 0.0.0.0"]
            out += [f"a=mid:{mid}", "a=inactive"]
            continue
        js = janus.media[ji]
        codec = VIDEO_CODEC if js.kind == "video" else AUDIO_CODEC
        pt = js.codec_pt(codec)
        assert pt is not None  # pair_sections chose sections with the codec
        out += [f"m={vs.kind} 9 UDP/TLS/RTP/SAVPF {pt}", "c=IN IP4 0.0.0.0"]
        lines = ["sendonly", f"mid:{mid}", "rtcp-mux", *_ice_lines(janus, js), "setup:passive"]
        lines += _codec_lines(js, pt)
        lines += [a for a in js.attributes if a.startswith(("msid:", "ssrc:", "ssrc-group:"))]
        lines += [*candidates, "end-of-candidates"]
        out += ["a=" + a for a in lines]
    return "\r\n".join(out) + "\r\n"


def answer_for_janus(viewer: SessionDescription, janus: SessionDescription, p: Pairing) -> str:
    """The SDP answer Janus gets: the viewer's transport, Janus's m-lines and mids."""
    janus_to_viewer = {ji: vi for vi, ji in p.viewer_to_janus.items()}
    first_viewer = viewer.media[min(p.viewer_to_janus)]
    accepted = [janus.media[ji].mid or str(ji) for ji in sorted(janus_to_viewer)]
    out = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=kfleet whep viewer", "t=0 0"]
    out.append("a=group:BUNDLE " + " ".join(accepted))
    out.append("a=fingerprint:" + _fingerprint(viewer, first_viewer))
    candidates = _candidates(viewer)
    if not candidates:
        raise SdpError(
            "the offer has no ICE candidates: gather before sending it (WHEP here does not "
            "take trickled candidates)"
        )
    for ji, js in enumerate(janus.media):
        mid = js.mid or str(ji)
        if ji not in janus_to_viewer:
            out += [f"m={js.kind} 0 {js.proto} {js.formats[0]}", "c=IN IP4 0.0.0.0"]
            out += [f"a=mid:{mid}", "a=inactive"]
            continue
        codec = VIDEO_CODEC if js.kind == "video" else AUDIO_CODEC
        pt = js.codec_pt(codec)
        assert pt is not None
        out += [f"m={js.kind} 9 UDP/TLS/RTP/SAVPF {pt}", "c=IN IP4 0.0.0.0"]
        lines = ["recvonly", f"mid:{mid}", "rtcp-mux"]
        lines += [*_ice_lines(viewer, viewer.media[janus_to_viewer[ji]]), "setup:active"]
        lines += _codec_lines(js, pt)
        lines += [*candidates, "end-of-candidates"]
        out += ["a=" + a for a in lines]
    return "\r\n".join(out) + "\r\n"
