// kfleet console: WHEP (watch a stream) and WHIP (publish my camera) against the cloud's media
// routes, for the call centre (help_call.js). No ICE server unless the cloud gives one, never
// a public STUN server; the offer carries every candidate (no trickle), as WHIP/WHEP servers
// without trickle support expect. Each function returns {pc, leave()}: leave() closes the peer
// connection and DELETEs the session (a browser that vanishes is cleaned up by the relay).
"use strict";

const kfRtc = (() => {
  const BASE = "/api/v1/media/streams/";

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (pc.iceGatheringState !== "complete") return;
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      };
      pc.addEventListener("icegatheringstatechange", check);
    });
  }

  // POST the offer; a person's session (cookie + CSRF) or a bearer token authorises it.
  async function exchange(pc, url, bearer) {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const headers = { "Content-Type": "application/sdp" };
    if (bearer) headers.Authorization = "Bearer " + bearer;
    else headers["X-CSRF-Token"] = kf.cookie("kfleet_csrf");
    const r = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp, credentials: "same-origin" });
    if (r.status !== 201) {
      const data = await r.json().catch(() => null);
      const err = new Error((data && data.message) || `${r.status} ${r.statusText}`);
      err.status = r.status;
      throw err;
    }
    const location = r.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
    return location;
  }

  function leaver(pc, location, bearer) {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      pc.close();
      if (!location) return;
      const headers = bearer ? { Authorization: "Bearer " + bearer } : { "X-CSRF-Token": kf.cookie("kfleet_csrf") };
      fetch(location, { method: "DELETE", headers, credentials: "same-origin" }).catch(() => null);
    };
  }

  /** Watch ``streamId`` into ``video`` (audio and video, receive only). */
  async function whep(streamId, video, iceServers) {
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.addEventListener("track", (e) => { stream.addTrack(e.track); video.srcObject = stream; });
    try {
      const location = await exchange(pc, BASE + encodeURIComponent(streamId) + "/whep", null);
      return { pc, stream, leave: leaver(pc, location, null) };
    } catch (err) { pc.close(); throw err; }
  }

  /** Publish ``local`` (my camera and microphone) as ``streamId`` with a publish token. */
  async function whip(streamId, local, token, iceServers) {
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    for (const track of local.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [local] });
    try {
      const location = await exchange(pc, BASE + encodeURIComponent(streamId) + "/whip", token);
      return { pc, leave: leaver(pc, location, token) };
    } catch (err) { pc.close(); throw err; }
  }

  return { whep, whip };
})();
