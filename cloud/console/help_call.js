// kfleet console: the call centre's in-call panel — the kiosk's video large (WHEP of
// call-<call>-kiosk with my session), my camera small (WHIP of call-<call>-op with the publish
// token the accept gave me), mute and camera off, remote operation and material review
// (help_cobrowse.js / help_materials.js mount into their sections), end with an outcome.
"use strict";

const kfHelpCall = (() => {
  const { t } = kfHelpWords;
  const $ = (id) => document.getElementById(id);
  let call = null;  // the CallOut I accepted
  let media = { kiosk: null, me: null, local: null };
  let onClosed = () => {};

  function say(text) { $("help-media-status").textContent = text; }

  function mountHelpers(callId) {
    $("help-cobrowse").setAttribute("aria-label", t("cobrowse"));
    $("help-materials").setAttribute("aria-label", t("materials"));
    // the remote-operation and material-review scripts are optional: mount them where present
    if (window.kfHelpCobrowse) window.kfHelpCobrowse.mount($("help-cobrowse"), callId);
    if (window.kfHelpMaterials) window.kfHelpMaterials.mount($("help-materials"), callId);
  }

  // a side whose connection fails (the kiosk's network dropped, the relay restarted) is set up
  // again while the call is still mine
  function again(side, redo) {
    const mine = call;
    media[side].pc.addEventListener("connectionstatechange", () => {
      const pc = media[side] && media[side].pc;
      if (!pc || pc.connectionState !== "failed" || call !== mine) return;
      media[side].leave();
      media[side] = null;
      say(t("connecting"));
      setTimeout(() => { if (call === mine) redo(); }, 2000);
    });
  }

  // the kiosk's camera goes live a moment after the accept (the cloud asks the agent to
  // publish it): the relay answers 404 until then, so the picture is asked for again
  const KIOSK_RETRY_MS = 1000;
  const KIOSK_TRIES = 45;

  async function watchKiosk(tries = KIOSK_TRIES) {
    say(t("connecting"));
    const mine = call;
    try {
      const side = await kfRtc.whep(call.kiosk_stream_id, $("help-kiosk-video"));
      if (call !== mine) { side.leave(); return; }
      media.kiosk = side;
      again("kiosk", watchKiosk);
      say(t("connected"));
    } catch (err) {
      if (call !== mine) return;
      if ([404, 503].includes(err.status) && tries > 1) {
        setTimeout(() => { if (call === mine) watchKiosk(tries - 1); }, KIOSK_RETRY_MS);
        return;
      }
      say(t("noKioskVideo") + err.message);
    }
  }

  async function sendMe() {
    const mine = call;
    try {
      const side = await kfRtc.whip(call.operator_stream_id, media.local, call.operator_publish_token);
      if (call !== mine) { side.leave(); return; }
      media.me = side;
      again("me", sendMe);
    } catch (err) {
      say(t("noCamera") + err.message);
    }
  }

  async function publishMe() {
    if (!call.operator_publish_token) return;
    try {
      media.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    } catch (err) {
      say(t("noCamera") + err.message);
      return;
    }
    $("help-my-video").srcObject = media.local;
    await sendMe();
  }

  function toggle(button, kind, onWord, offWord) {
    if (!media.local) return;
    const off = button.getAttribute("aria-pressed") !== "true";
    for (const track of media.local.getTracks()) if (track.kind === kind) track.enabled = !off;
    button.setAttribute("aria-pressed", String(off));
    button.textContent = t(off ? offWord : onWord);
  }

  /** Show the panel for ``accepted`` (a CallOut with operator_publish_token). */
  async function open(accepted, closed) {
    if (call) close();
    call = accepted;
    onClosed = closed || (() => {});
    $("help-call").hidden = false;
    $("help-call-where").textContent = `${call.site_name || call.site_path} · ${call.device_id}`;
    $("help-mute").setAttribute("aria-pressed", "false");
    $("help-mute").textContent = t("mute");
    $("help-camera").setAttribute("aria-pressed", "false");
    $("help-camera").textContent = t("cameraOff");
    mountHelpers(call.call_id);
    await Promise.all([watchKiosk(), publishMe()]);
  }

  /** Leave the media and hide the panel (the call itself is ended by end() or the kiosk). */
  function close(why) {
    if (!call) return;
    for (const side of [media.kiosk, media.me]) if (side) side.leave();
    if (media.local) for (const track of media.local.getTracks()) track.stop();
    media = { kiosk: null, me: null, local: null };
    $("help-kiosk-video").srcObject = null;
    $("help-my-video").srcObject = null;
    // mount() has no counterpart in the contract: an unmount() is called where one exists
    for (const [lib, id] of [[window.kfHelpCobrowse, "help-cobrowse"], [window.kfHelpMaterials, "help-materials"]]) {
      if (lib && typeof lib.unmount === "function") { try { lib.unmount($(id)); } catch (e) { /* the panel still closes */ } }
      $(id).replaceChildren();
    }
    $("help-call").hidden = true;
    const was = call;
    call = null;
    onClosed(was, why);
  }

  async function end(event) {
    event.preventDefault();
    if (!call) return;
    const body = { outcome: $("help-outcome").value, note: $("help-note").value.trim() };
    const button = $("help-end-button");
    button.disabled = true;
    try {
      await kf.api(`/api/v1/help/calls/${encodeURIComponent(call.call_id)}/end`, { method: "POST", body });
      $("help-note").value = "";
      close(t("ended"));
    } catch (err) {
      say(err.message);
    } finally {
      button.disabled = false;
    }
  }

  $("help-end").addEventListener("submit", end);
  $("help-mute").addEventListener("click", (e) => toggle(e.currentTarget, "audio", "mute", "unmute"));
  $("help-camera").addEventListener("click", (e) => toggle(e.currentTarget, "video", "cameraOff", "cameraOn"));
  window.addEventListener("pagehide", () => close());

  return { open, close, current: () => call };
})();
