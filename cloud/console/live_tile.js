// kfleet console: one live tile — a WHEP viewer of one stream (POST the browser's SDP offer to
// /api/v1/media/streams/{id}/whep, 201 + Location + answer; DELETE the Location to leave) with
// the stream's health laid over it (fps, bitrate, loss, viewers) and what went wrong in words:
// stalled, camera unplugged, ended; it reconnects by itself (backing off) and on demand.
// ICE: no servers (the cloud offers its own host candidates; never a public STUN server).
"use strict";

const kfLiveTile = (() => {
  const CSRF = "kfleet_csrf";
  const GATHER_MS = 2000;

  function iceGathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
      const check = () => { if (pc.iceGatheringState === "complete") done(); };
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(done, GATHER_MS);  // host candidates come at once; never wait longer
    });
  }

  // One WHEP session: resolves to {pc, media, location} or throws an Error with .status.
  async function whep(streamId) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const media = new MediaStream();
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addEventListener("track", (ev) => media.addTrack(ev.track));
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    let r;
    try {
      r = await fetch(`/api/v1/media/streams/${encodeURIComponent(streamId)}/whep`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/sdp", Accept: "application/sdp", "X-CSRF-Token": kf.cookie(CSRF) },
        body: pc.localDescription.sdp,
      });
    } catch (err) { pc.close(); throw err; }
    if (r.status !== 201) {
      const body = await r.json().catch(() => null);
      pc.close();
      const err = new Error((body && body.message) || `${r.status} ${r.statusText}`);
      err.status = r.status;
      throw err;
    }
    const location = r.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
    return { pc, media, location };
  }

  // end a session; `tell`: DELETE its Location (not when the stream is gone: so is the session)
  function leave(session, tell = true) {
    if (!session) return;
    session.pc.close();
    if (tell && session.location) {
      fetch(session.location, { method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": kf.cookie(CSRF) } })
        .catch(() => null);  // the relay also drops viewers whose ICE ends
    }
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A tile in `container` for stream `streamId` (device `deviceId`, shown as `name`); `t` looks
  // words up. Its state: connecting, live, stalled, reconnecting, unplugged, ended, failed.
  function open(container, { streamId, deviceId, name, t, onClose }) {
    const fig = el("figure", "tile");
    fig.dataset.stream = streamId;
    fig.dataset.device = deviceId || "";
    const video = el("video");
    Object.assign(video, { autoplay: true, muted: true, playsInline: true });
    video.setAttribute("aria-label", `${t("videoOf")} ${name}`);
    const notice = el("p", "tile-notice");
    notice.setAttribute("role", "status");
    const cap = el("figcaption");
    const state = el("span", "tile-state");
    const stats = el("dl");
    const cells = {};
    for (const key of ["fps", "kbps", "loss", "viewers"]) {
      const row = el("div");
      cells[key] = el("dd", null, "—");
      row.append(el("dt", null, t(key)), cells[key]);
      stats.append(row);
    }
    const sound = el("button", null, t("unmute"));
    sound.type = "button";
    const again = el("button", "tile-reconnect", t("reconnect"));
    again.type = "button";
    const close = el("button", "tile-close", t("close"));
    close.type = "button";
    cap.append(el("span", "tile-name", name), state, stats, sound, again, close);
    fig.append(video, notice, cap);
    container.append(fig);

    let session = null;
    let closed = false;
    let attempt = 0;
    let timer = null;
    let connecting = false;

    function show(next, words = "") {
      fig.dataset.state = next;
      state.textContent = t("s_" + next);
      notice.textContent = words;
    }

    function retryLater() {
      if (closed || timer) return;
      const delay = Math.min(15000, 1000 * 2 ** Math.min(attempt, 4));
      timer = setTimeout(() => { timer = null; connect(); }, delay);
    }

    async function connect() {
      if (closed || connecting) return;
      connecting = true;
      leave(session);
      session = null;
      show(attempt ? "reconnecting" : "connecting");
      attempt += 1;
      try {
        const s = await whep(streamId);
        if (closed) { leave(s); return; }
        session = s;
        video.srcObject = s.media;
        s.pc.addEventListener("connectionstatechange", () => {
          const c = s.pc.connectionState;
          if (s !== session) return;
          if (c === "connected") { attempt = 0; if (fig.dataset.state !== "stalled") show("live"); }
          if (c === "failed" || c === "closed") { show("reconnecting", t("lost")); retryLater(); }
        });
      } catch (err) {
        show(err.status === 404 ? "ended" : "failed", err.status === 404 ? t("notLive") : err.message);
        if (err.status !== 401 && err.status !== 403) retryLater();
      } finally {
        connecting = false;
      }
    }

    const tile = {
      streamId, deviceId, element: fig, video,
      get state() { return fig.dataset.state; },
      // the stream as GET /api/v1/media/streams lists it (null: not listed); `camera`: the
      // device's av_camera peripheral when the stream is not live (its health says unplugged)
      health(h, camera) {
        if (closed) return;
        const state = h ? h.state : "gone";
        if (state === "starting") { show("connecting", t("startingStream")); return; }
        if (state === "reconnecting") { show("reconnecting", t("deviceReconnecting") + (h.reason ? ` (${h.reason})` : "")); return; }
        if (state !== "live" && state !== "stalled") {  // ended, failed, or no longer listed
          const reason = (h && h.reason) || "";
          const unplugged = /unplug/i.test(reason) || (camera && camera.health === "offline");
          show(unplugged ? "unplugged" : "ended", unplugged ? t("unplugged") : t("notLive") + (reason ? ` (${reason})` : ""));
          leave(session, false);
          session = null;
          video.srcObject = null;
          return;
        }
        cells.fps.textContent = Number(h.fps).toFixed(1);
        cells.kbps.textContent = Math.round(h.bitrate_kbps);
        cells.loss.textContent = Number(h.packet_loss_pct).toFixed(1) + " %";
        cells.viewers.textContent = h.viewers;
        if (state === "stalled") { show("stalled", t("stalled")); return; }
        if (!session && !connecting && !timer) { connect(); return; }
        if (session && session.pc.connectionState === "connected") show("live");
      },
      reconnect() { attempt = 0; clearTimeout(timer); timer = null; connect(); },
      close() {
        closed = true;
        clearTimeout(timer);
        leave(session);
        session = null;
        fig.remove();
        if (onClose) onClose(tile);
      },
    };
    sound.addEventListener("click", () => {
      video.muted = !video.muted;
      sound.textContent = video.muted ? t("unmute") : t("mute");
    });
    again.addEventListener("click", () => tile.reconnect());
    close.addEventListener("click", () => tile.close());
    show("connecting");
    return tile;
  }

  return { open, whep };
})();
