// kfleet console: live walls (/live). The site tree (GET /api/v1/sites) → a site's devices
// with a camera (GET /api/v1/devices?site=…) → watch one (its monitoring stream mon-<device>,
// started with POST /api/v1/devices/{id}/streams when it is not live) or the whole site
// ("wall"); several tiles at once, each a WHEP viewer (live_tile.js). Every 2 s the streams'
// health (GET /api/v1/media/streams) goes on the tiles; a tile whose stream is gone asks the
// device whether its camera is unplugged. Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "实时画面", sites: "站点", pickSite: "请选择站点", wall: "打开本站点全部画面",
      device: "设备", camera: "摄像头", stream: "视频流", action: "操作", tiles: "直播画面",
      watch: "观看", watching: "观看中", noCameras: "本站点没有带摄像头的设备",
      starting: "正在请设备开始推流…", fps: "帧率", kbps: "码率 kbps", loss: "丢包", viewers: "观看",
      reconnect: "重新连接", close: "关闭", unmute: "打开声音", mute: "静音", videoOf: "实时画面：",
      s_connecting: "连接中", s_live: "直播中", s_stalled: "画面停滞", s_reconnecting: "重连中",
      s_unplugged: "摄像头已断开", s_ended: "未在推流", s_failed: "无法观看",
      stalled: "画面停滞：中转服务器暂时收不到该设备的视频", unplugged: "摄像头已断开：请到现场检查摄像头连接",
      notLive: "该视频流当前未在推流，恢复后自动连接", lost: "连接中断，正在重新连接",
      h_ok: "正常", h_degraded: "异常", h_offline: "离线", h_unknown: "未知", none: "—",
      loaded: "已加载", devicesOf: "的设备", startingStream: "正在等待设备开始推流",
      deviceReconnecting: "设备正在重新连接",
      st_live: "直播中", st_stalled: "画面停滞", st_starting: "启动中", st_reconnecting: "设备重连中",
      st_ended: "已结束", st_failed: "启动失败",
    },
    en: {
      title: "Live", sites: "Sites", pickSite: "Pick a site", wall: "Open the site's wall",
      device: "Device", camera: "Camera", stream: "Stream", action: "Action", tiles: "Live video",
      watch: "Watch", watching: "watching", noCameras: "no device with a camera in this site",
      starting: "asking the device to start streaming…", fps: "fps", kbps: "kbps", loss: "loss", viewers: "viewers",
      reconnect: "Reconnect", close: "Close", unmute: "Sound on", mute: "Mute", videoOf: "Live video:",
      s_connecting: "connecting", s_live: "live", s_stalled: "stalled", s_reconnecting: "reconnecting",
      s_unplugged: "camera unplugged", s_ended: "not streaming", s_failed: "cannot watch",
      stalled: "Stalled: the relay receives no video from this device just now",
      unplugged: "Camera unplugged: check the camera's cable on site",
      notLive: "This stream is not live now; the tile connects when it is back", lost: "Connection lost, reconnecting",
      h_ok: "ok", h_degraded: "degraded", h_offline: "offline", h_unknown: "unknown", none: "—",
      loaded: "loaded", devicesOf: " devices", startingStream: "waiting for the device to start streaming",
      deviceReconnecting: "the device is reconnecting",
      st_live: "live", st_stalled: "stalled", st_starting: "starting", st_reconnecting: "device reconnecting",
      st_ended: "ended", st_failed: "start failed",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const status = $("live-status");
  const POLL_MS = 2000;
  const tiles = new Map();  // stream id → tile
  let site = null;
  let devices = [];
  let streams = [];

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  function say(text, error = false) {
    status.textContent = text;
    status.classList.toggle("error", error);
  }

  const cameraOf = (d) => (d.peripherals || []).find((p) => p.kind === "av_camera") || null;
  const monitorId = (deviceId) => `mon-${deviceId}`;

  function renderTree(nodes, into) {
    for (const n of nodes) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = n.name;
      b.title = n.path;
      b.dataset.site = n.path;
      b.addEventListener("click", () => pick(n.path, n.name));
      li.append(b);
      if (n.children && n.children.length) {
        const ul = document.createElement("ul");
        renderTree(n.children, ul);
        li.append(ul);
      }
      into.append(li);
    }
  }

  function streamOf(id) { return streams.find((s) => s.stream_id === id) || null; }

  function renderDevices() {
    const rows = $("live-device-rows");
    rows.replaceChildren();
    const cams = devices.filter(cameraOf);
    $("live-wall").disabled = !cams.length;
    if (!cams.length) {
      const td = document.createElement("td");
      td.colSpan = 4;
      td.textContent = t("noCameras");
      rows.append(document.createElement("tr"));
      rows.lastChild.append(td);
      return;
    }
    for (const d of cams) {
      const cam = cameraOf(d);
      const s = streamOf(monitorId(d.id));
      const tr = document.createElement("tr");
      tr.dataset.device = d.id;
      const cells = [d.name || d.id, t("h_" + cam.health) + (cam.reason ? ` (${cam.reason})` : ""),
        s ? t("st_" + s.state) + (s.reason ? ` (${s.reason})` : "") : t("none")];
      for (const text of cells) { const td = document.createElement("td"); td.textContent = text; tr.append(td); }
      const td = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "live-watch";
      b.textContent = tiles.has(monitorId(d.id)) ? t("watching") : t("watch");
      b.disabled = tiles.has(monitorId(d.id));
      b.setAttribute("aria-label", `${t("watch")} ${d.name || d.id}`);
      b.addEventListener("click", () => watch(d));
      td.append(b);
      tr.append(td);
      rows.append(tr);
    }
  }

  async function pick(path, name) {
    site = path;
    for (const b of document.querySelectorAll("#live-tree button")) b.setAttribute("aria-current", String(b.dataset.site === path));
    $("live-site-title").textContent = (name || path) + t("devicesOf");
    history.replaceState(null, "", `${location.pathname}?site=${encodeURIComponent(path)}${kf.LANG === "en" ? "&lang=en" : ""}`);
    try {
      devices = await kf.api(`/api/v1/devices?site=${encodeURIComponent(path)}`);
      renderDevices();
    } catch (err) { say(err.message, true); }
  }

  async function watch(d) {
    const id = monitorId(d.id);
    if (tiles.has(id)) return;
    const tile = kfLiveTile.open($("live-tiles"), {
      streamId: id, deviceId: d.id, name: d.name || d.id, t,
      onClose: () => { tiles.delete(id); renderDevices(); },
    });
    tiles.set(id, tile);
    renderDevices();
    const listed = streamOf(id);
    if (!listed || ["ended", "failed"].includes(listed.state)) {
      say(t("starting"));
      try {
        await kf.api(`/api/v1/devices/${encodeURIComponent(d.id)}/streams`, { method: "POST", body: { purpose: "monitor" } });
      } catch (err) { say(err.message, true); }
    }
    await poll();
  }

  async function poll() {
    try {
      streams = await kf.api("/api/v1/media/streams");
    } catch (err) { say(err.message, true); return; }
    for (const tile of tiles.values()) {
      const h = streamOf(tile.streamId);
      let camera = null;
      if ((!h || !["live", "stalled"].includes(h.state)) && tile.deviceId) {
        const d = await kf.api(`/api/v1/devices/${encodeURIComponent(tile.deviceId)}?events=0`).catch(() => null);
        camera = d && cameraOf(d);
      }
      tile.health(h, camera);
    }
    if (site) renderDevices();
  }

  async function pollForever() {
    await poll();
    setTimeout(pollForever, POLL_MS);
  }

  $("live-wall").addEventListener("click", async () => {
    for (const d of devices.filter(cameraOf)) await watch(d);
  });

  kf.start().then(async () => {
    renderTree(await kf.api("/api/v1/sites"), $("live-tree"));
    const q = new URLSearchParams(location.search);
    if (q.get("site")) await pick(q.get("site"));
    pollForever();
    document.body.dataset.ready = "1";
  }).catch((err) => say(err.message, true));
})();
