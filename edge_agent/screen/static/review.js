// kfleet screen: the corner-adjust screen. When the document camera is unsure where the page
// is, the agent holds a review; this script long-polls for it, shows the photo with four large
// handles (drag with a finger, a loupe shows what is under it; or focus a handle and move it
// with the arrow keys) and sends 确认 / 重拍 / 使用整张 back. Corners are in the preview's
// pixels, edges at 0 and width/height, as the agent sends them.
"use strict";

(() => {
  const box = document.getElementById("review");
  const WORDS = box.dataset;
  const $ = (id) => document.getElementById(id);
  const img = $("review-img");
  const photo = $("review-photo");
  const loupe = $("loupe");
  const NAMES = WORDS.cornerNames.split("|");
  const LONG_POLL_S = 20;
  const RETRY_MS = 2000;
  const LOUPE_ZOOM = 3;

  let review = null; // the review shown: {id, width, height, corners, ...}
  let corners = []; // [[x, y] * 4], preview pixels
  let scale = 1; // CSS pixels per preview pixel
  let deadline = 0;
  let sending = false;
  const handles = NAMES.map((name, i) => makeHandle(name, i));

  function makeHandle(name, i) {
    const h = document.createElement("button");
    h.type = "button";
    h.className = "handle";
    h.dataset.corner = String(i);
    h.setAttribute("aria-label", `${name}, ${WORDS.handleHint}`);
    h.addEventListener("pointerdown", (e) => startDrag(e, i));
    h.addEventListener("keydown", (e) => nudge(e, i));
    photo.appendChild(h);
    return h;
  }

  function clampPoint(x, y) {
    return [Math.min(Math.max(x, 0), review.width), Math.min(Math.max(y, 0), review.height)];
  }

  function draw() {
    corners.forEach(([x, y], i) => {
      handles[i].style.left = `${x * scale}px`;
      handles[i].style.top = `${y * scale}px`;
      handles[i].dataset.x = x.toFixed(2);
      handles[i].dataset.y = y.toFixed(2);
    });
    const pts = corners.map(([x, y]) => `${(x * scale).toFixed(1)},${(y * scale).toFixed(1)}`);
    $("review-poly").setAttribute("points", pts.join(" "));
  }

  function layout() {
    if (!review) return;
    const stage = $("review-stage");
    const style = getComputedStyle(stage);
    const padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const padY = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
    const w = stage.clientWidth - padX;
    const h = stage.clientHeight - padY;
    scale = Math.max(0.05, Math.min(w / review.width, h / review.height));
    photo.style.width = `${review.width * scale}px`;
    photo.style.height = `${review.height * scale}px`;
    draw();
  }

  // --- dragging: the corner moves as far as the finger does (it never jumps under it) ---

  function startDrag(e, i) {
    if (!review) return;
    e.preventDefault();
    const h = handles[i];
    h.setPointerCapture(e.pointerId);
    h.classList.add("dragging");
    const from = corners[i].slice();
    const x0 = e.clientX;
    const y0 = e.clientY;
    const move = (ev) => {
      if (ev.pointerId !== e.pointerId) return;
      corners[i] = clampPoint(from[0] + (ev.clientX - x0) / scale, from[1] + (ev.clientY - y0) / scale);
      draw();
      showLoupe(i, ev.clientX, ev.clientY);
    };
    const end = (ev) => {
      if (ev.pointerId !== e.pointerId) return;
      h.classList.remove("dragging");
      h.removeEventListener("pointermove", move);
      h.removeEventListener("pointerup", end);
      h.removeEventListener("pointercancel", end);
      loupe.hidden = true;
    };
    h.addEventListener("pointermove", move);
    h.addEventListener("pointerup", end);
    h.addEventListener("pointercancel", end);
    showLoupe(i, x0, y0);
  }

  // the loupe: what lies under the finger, magnified, above and beside it
  function showLoupe(i, fx, fy) {
    if (!img.complete || img.naturalWidth === 0) return; // the photo is still arriving
    const size = loupe.width;
    const ctx = loupe.getContext("2d");
    const [cx, cy] = corners[i];
    const span = size / (scale * LOUPE_ZOOM); // preview pixels shown across the loupe
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(img, cx - span / 2, cy - span / 2, span, span, 0, 0, size, size);
    ctx.strokeStyle = "#ffeb3b";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(size / 2, 0); ctx.lineTo(size / 2, size);
    ctx.moveTo(0, size / 2); ctx.lineTo(size, size / 2);
    ctx.stroke();
    const above = fy - size - 80;
    loupe.style.top = `${above >= 0 ? above : fy + 80}px`;
    loupe.style.left = `${Math.min(Math.max(fx - size / 2, 0), window.innerWidth - size)}px`;
    loupe.hidden = false;
  }

  // --- keyboard: arrows move the focused handle by one pixel, with Shift by ten ---

  const STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  function nudge(e, i) {
    const step = STEPS[e.key];
    if (!step || !review) return;
    e.preventDefault();
    const by = e.shiftKey ? 10 : 1;
    corners[i] = clampPoint(corners[i][0] + step[0] * by, corners[i][1] + step[1] * by);
    draw();
  }

  // --- showing a review, the countdown, and the answer ---

  function show(next) {
    if (!next) {
      review = null;
      box.hidden = true;
      loupe.hidden = true;
      return;
    }
    deadline = performance.now() + next.seconds_left * 1000;
    if (review && review.id === next.id) return;
    review = next;
    corners = next.corners.map((p) => p.slice());
    $("review-retake").hidden = !next.can_retake;
    $("review-error").hidden = true;
    img.src = next.frame_url;
    box.hidden = false;
    countdown();
    layout();
  }

  function countdown() {
    if (!review) return;
    const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
    $("review-left").textContent = WORDS.secondsLeft.replace("{n}", String(left));
  }

  async function answer(action) {
    if (!review || sending) return;
    sending = true;
    const id = review.id;
    const buttons = box.querySelectorAll(".review-buttons button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const r = await fetch(`/api/v1/screen/review/${encodeURIComponent(id)}`, {
        method: "POST",
        cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ action, corners }),
      });
      if (r.status === 422) {
        $("review-error").textContent = WORDS.badCorners;
        $("review-error").hidden = false;
      } else if (r.ok || r.status === 404) {
        show(null); // answered (or gone): the long poll brings the next one, if any
      } else {
        throw new Error(`HTTP ${r.status}`);
      }
    } catch {
      $("review-error").textContent = WORDS.sendFailed;
      $("review-error").hidden = false;
    } finally {
      sending = false;
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  async function poll() {
    const seen = review ? review.id : "";
    let delay = 0;
    try {
      const url = `/api/v1/screen/review?seen=${encodeURIComponent(seen)}&wait_s=${LONG_POLL_S}`;
      const r = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      show((await r.json()).review);
    } catch {
      delay = RETRY_MS;
    } finally {
      setTimeout(poll, delay);
    }
  }

  $("review-confirm").addEventListener("click", () => answer("confirm"));
  $("review-retake").addEventListener("click", () => answer("retake"));
  $("review-whole").addEventListener("click", () => answer("whole"));
  window.addEventListener("resize", layout);
  setInterval(countdown, 1000);
  poll();
})();
