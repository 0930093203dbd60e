"""The crosswise answers of the Janus backend (cloud/media/janus_sdp.py), without Janus: a
browser-like WHEP offer (video first, its own payload types) against a Janus subscriber
offer (audio first)."""

from __future__ import annotations

import pytest

from cloud.media.janus_sdp import (
    SdpError,
    answer_for_janus,
    answer_for_viewer,
    pair_sections,
    parse,
)

VIEWER = "\r\n".join(
    [
        "v=0",
        "o=- 1 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE v a",
        "a=fingerprint:sha-256 AA:BB",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
        "c=IN IP4 0.0.0.0",
        "a=mid:v",
        "a=recvonly",
        "a=ice-ufrag:vu",
        "a=ice-pwd:vpwdvpwdvpwdvpwdvpwdvp",
        "a=setup:actpass",
        "a=rtpmap:96 VP8/90000",
        "a=rtpmap:97 H264/90000",
        "a=candidate:1 1 udp 2130706431 10.0.0.9 5000 typ host",
        "m=audio 9 UDP/TLS/RTP/SAVPF 109",
        "c=IN IP4 0.0.0.0",
        "a=mid:a",
        "a=recvonly",
        "a=ice-ufrag:vu",
        "a=ice-pwd:vpwdvpwdvpwdvpwdvpwdvp",
        "a=setup:actpass",
        "a=rtpmap:109 opus/48000/2",
        "",
    ]
)

JANUS = "\r\n".join(
    [
        "v=0",
        "o=- 9 1 IN IP4 127.0.0.1",
        "s=VideoRoom 1600",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=fingerprint:sha-256 JJ:JJ",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=sendonly",
        "a=mid:0",
        "a=ice-ufrag:ju",
        "a=ice-pwd:jpwdjpwdjpwdjpwdjpwdjp",
        "a=setup:actpass",
        "a=rtpmap:111 opus/48000/2",
        "a=rtcp-fb:111 transport-cc",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=msid:janus janus0",
        "a=ssrc:111111 cname:janus",
        "a=candidate:1 1 udp 2015363327 10.254.0.1 20001 typ host",
        "a=end-of-candidates",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "a=sendonly",
        "a=mid:1",
        "a=ice-ufrag:ju",
        "a=ice-pwd:jpwdjpwdjpwdjpwdjpwdjp",
        "a=setup:actpass",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack pli",
        "a=rtcp-fb:96 transport-cc",
        "a=ssrc:222222 cname:janus",
        "a=candidate:1 1 udp 2015363327 10.254.0.1 20001 typ host",
        "a=end-of-candidates",
        "",
    ]
)


def _sections(sdp: str) -> list[list[str]]:
    out: list[list[str]] = []
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            out.append([line])
        elif out:
            out[-1].append(line)
    return out


def test_the_viewer_gets_janus_transport_in_its_own_order() -> None:
    viewer, janus = parse(VIEWER), parse(JANUS)
    answer = answer_for_viewer(viewer, janus, pair_sections(viewer, janus))
    video, audio = _sections(answer)
    assert video[0] == "m=video 9 UDP/TLS/RTP/SAVPF 96" and "a=mid:v" in video
    assert audio[0] == "m=audio 9 UDP/TLS/RTP/SAVPF 111" and "a=mid:a" in audio
    assert "a=group:BUNDLE v a" in answer and "a=fingerprint:sha-256 JJ:JJ" in answer
    for section in (video, audio):
        assert "a=sendonly" in section and "a=setup:passive" in section
        assert "a=ice-ufrag:ju" in section
        assert "a=candidate:1 1 udp 2015363327 10.254.0.1 20001 typ host" in section
        assert not any("extmap" in a or "transport-cc" in a for a in section)
    assert "a=ssrc:222222 cname:janus" in video and "a=ssrc:111111 cname:janus" in audio


def test_janus_gets_the_viewer_transport_in_its_order() -> None:
    viewer, janus = parse(VIEWER), parse(JANUS)
    answer = answer_for_janus(viewer, janus, pair_sections(viewer, janus))
    audio, video = _sections(answer)
    assert "a=mid:0" in audio and "a=mid:1" in video
    assert "a=fingerprint:sha-256 AA:BB" in answer and "a=group:BUNDLE 0 1" in answer
    for section in (audio, video):
        assert "a=recvonly" in section and "a=setup:active" in section
        assert "a=ice-ufrag:vu" in section
        assert "a=candidate:1 1 udp 2130706431 10.0.0.9 5000 typ host" in section


def test_a_kind_janus_does_not_send_is_rejected_in_the_answer() -> None:
    video_only = JANUS[: JANUS.index("m=audio")] + JANUS[JANUS.index("m=video") :]
    viewer, janus = parse(VIEWER), parse(video_only)
    answer = answer_for_viewer(viewer, janus, pair_sections(viewer, janus))
    video, audio = _sections(answer)
    assert video[0] == "m=video 9 UDP/TLS/RTP/SAVPF 96"
    assert audio[0].startswith("m=audio 0 ") and "a=inactive" in audio
    assert "a=group:BUNDLE v" in answer.split("\r\n")


@pytest.mark.parametrize(
    ("sdp", "why"),
    [
        ("", "not SDP"),
        ("v=0\r\ns=-\r\n", "no media section"),
        ("v=0\r\nm=video\r\n", "incomplete"),
        ("v=0\r\nnot a line\r\n", "not an SDP line"),
    ],
)
def test_unusable_sdp_says_why(sdp: str, why: str) -> None:
    with pytest.raises(SdpError, match=why):
        parse(sdp)


def test_an_offer_without_a_shared_codec_receives_nothing() -> None:
    h264_only = VIEWER.replace("a=rtpmap:96 VP8/90000\r\n", "").replace(
        "a=rtpmap:109 opus/48000/2", "a=rtpmap:0 PCMU/8000"
    )
    with pytest.raises(SdpError, match="receives nothing"):
        pair_sections(parse(h264_only), parse(JANUS))


def test_an_offer_without_candidates_is_refused() -> None:
    bare = VIEWER.replace("a=candidate:1 1 udp 2130706431 10.0.0.9 5000 typ host\r\n", "")
    viewer, janus = parse(bare), parse(JANUS)
    with pytest.raises(SdpError, match="no ICE candidates"):
        answer_for_janus(viewer, janus, pair_sections(viewer, janus))
