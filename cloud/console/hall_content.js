// kfleet console: a site's hall content. Upload a floor plan (POST /api/v1/hall/floorplans,
// a draft), drag windows and areas onto it (pointer events: mouse, pen and touch alike),
// preview, publish (POST .../content/floorplan/publish with the next version), and roll back
// from the version list (a rollback is a new version). Positions are fractions of the image.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "大厅内容", site: "站点", open: "打开", plan: "平面图（PNG、JPEG、WebP 或 SVG，≤ 8 MiB）",
      upload: "上传", window: "窗口号", place: "放到图上", area: "区域名称", areaEn: "英文名称",
      addArea: "添加区域", preview: "预览（屏幕上的样子）", publish: "发布",
      hint: "拖动窗口和区域到平面图上的位置；拖动区域右下角改变大小；双击删除。",
      versions: "已发布版本", version: "版本", publishedAt: "发布时间", by: "发布人", windows: "窗口",
      note: "说明", rollback: "回滚到此版本", current: "当前", rolledBack: "回滚自版本 ",
      uploaded: "已上传，拖动窗口后发布", published: "已发布版本 ", noPlan: "还没有平面图：先上传一张",
      placed: "该窗口已在图上", loading: "加载中…", rolledTo: "已回滚，新版本 ",
      marker: "\u201c您在这里\u201d：屏幕设备编号", addMarker: "放到图上", here: "您在这里",
    },
    en: {
      title: "Hall content", site: "Site", open: "Open", plan: "Floor plan (PNG, JPEG, WebP or SVG, ≤ 8 MiB)",
      upload: "Upload", window: "Window", place: "Place on plan", area: "Area name (zh)",
      areaEn: "Area name (en)", addArea: "Add area", preview: "Preview (as screens show it)",
      publish: "Publish", hint: "Drag windows and areas into place; drag an area's corner to resize; double-click to remove.",
      versions: "Published versions", version: "Version", publishedAt: "Published", by: "By",
      windows: "Windows", note: "Note", rollback: "Roll back to this", current: "current",
      rolledBack: "rollback to v", uploaded: "Uploaded: place the windows, then publish",
      published: "Published version ", noPlan: "No floor plan yet: upload one",
      placed: "that window is on the plan already", loading: "loading…", rolledTo: "Rolled back, new version ",
      marker: "\u201cYou are here\u201d: screen device id", addMarker: "Place on plan", here: "You are here",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  const editor = $("hc-editor");
  const image = $("hc-image");
  const status = $("hc-status");
  const state = { site: "", current: null, plan: null };
  const clamp = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;

  function say(text, error = false) { status.textContent = text; status.classList.toggle("error", error); }
  const q = (extra = {}) => new URLSearchParams({ site: state.site, ...extra }).toString();

  // --- dragging: pointer capture keeps the drag on the element even off the plan ----------
  function draggable(el, onMove) {
    el.addEventListener("pointerdown", (ev) => {
      if (editor.classList.contains("preview") || ev.target !== el) return;
      ev.preventDefault();
      el.setPointerCapture(ev.pointerId);
      el.classList.add("dragging");
      const move = (e) => {
        const box = editor.getBoundingClientRect();
        onMove((e.clientX - box.left) / box.width, (e.clientY - box.top) / box.height);
      };
      const end = () => {
        el.classList.remove("dragging");
        el.removeEventListener("pointermove", move);
        el.removeEventListener("pointerup", end);
        el.removeEventListener("pointercancel", end);
      };
      el.addEventListener("pointermove", move);
      el.addEventListener("pointerup", end);
      el.addEventListener("pointercancel", end);
    });
  }

  function drawWindow(spot) {
    const el = document.createElement("div");
    el.className = "hc-win";
    el.dataset.number = spot.number;
    el.textContent = spot.number;
    const place = () => { el.style.left = spot.x * 100 + "%"; el.style.top = spot.y * 100 + "%"; };
    draggable(el, (x, y) => { spot.x = clamp(x); spot.y = clamp(y); place(); });
    el.addEventListener("dblclick", () => {
      state.plan.windows = state.plan.windows.filter((w) => w !== spot); el.remove();
    });
    place();
    editor.append(el);
  }

  function drawArea(area) {
    const el = document.createElement("div");
    el.className = "hc-area";
    el.textContent = area.name_zh;
    const grip = document.createElement("span");
    grip.className = "hc-resize";
    el.append(grip);
    const place = () => {
      Object.assign(el.style, { left: area.x * 100 + "%", top: area.y * 100 + "%",
        width: area.w * 100 + "%", height: area.h * 100 + "%" });
    };
    draggable(el, (x, y) => {
      area.x = clamp(Math.min(x - area.w / 2, 1 - area.w)); area.y = clamp(Math.min(y - area.h / 2, 1 - area.h)); place();
    });
    draggable(grip, (x, y) => { area.w = clamp(Math.max(0.02, x - area.x)); area.h = clamp(Math.max(0.02, y - area.y)); place(); });
    el.addEventListener("dblclick", () => { state.plan.areas = state.plan.areas.filter((a) => a !== area); el.remove(); });
    place();
    editor.append(el);
  }

  function drawMarker(marker) {
    const el = document.createElement("div");
    el.className = "hc-marker";
    el.dataset.device = marker.device_id;
    el.textContent = `${t("here")} · ${marker.device_id}`;
    const place = () => { el.style.left = marker.x * 100 + "%"; el.style.top = marker.y * 100 + "%"; };
    draggable(el, (x, y) => { marker.x = clamp(x); marker.y = clamp(y); place(); });
    el.addEventListener("dblclick", () => {
      state.plan.markers = state.plan.markers.filter((m) => m !== marker); el.remove();
    });
    place();
    editor.append(el);
  }

  function show(body) {
    state.plan = {
      image_sha256: body.image.sha256, title_zh: body.title_zh || "", title_en: body.title_en || "",
      windows: (body.windows || []).map((w) => ({ ...w })), areas: (body.areas || []).map((a) => ({ ...a })),
      markers: (body.markers || []).map((m) => ({ ...m })),
    };
    editor.querySelectorAll(".hc-win, .hc-area, .hc-marker").forEach((el) => el.remove());
    image.src = `/api/v1/hall/images/${body.image.sha256}?${q()}`;
    editor.hidden = false;
    state.plan.areas.forEach(drawArea);
    state.plan.windows.forEach(drawWindow);
    state.plan.markers.forEach(drawMarker);
    $("hc-publish").disabled = false;
  }

  function versionRow(item) {
    const tr = document.createElement("tr");
    tr.dataset.version = item.version;
    if (item.current) tr.className = "current";
    const note = item.current ? t("current") : "";
    const cells = [item.version, kf.dated(item.published_at), item.published_by,
      (item.body.windows || []).map((w) => w.number).join(", "),
      [note, item.rolled_back_to ? t("rolledBack") + item.rolled_back_to : ""].filter(Boolean).join(" · ")];
    for (const text of cells) { const td = document.createElement("td"); td.textContent = text; tr.append(td); }
    const td = document.createElement("td");
    if (!item.current) {
      const b = document.createElement("button");
      b.type = "button"; b.className = "rollback"; b.textContent = t("rollback");
      b.addEventListener("click", () => rollback(item.version));
      td.append(b);
    }
    tr.append(td);
    return tr;
  }

  async function load() {
    say(t("loading"));
    const data = await kf.api(`/api/v1/hall/content?${q({ kind: "floorplan" })}`);
    state.current = data.current;
    $("hc-versions").replaceChildren(...data.items.map(versionRow));
    const latest = data.items[0];
    if (latest) show(latest.body);
    else { editor.hidden = true; $("hc-publish").disabled = true; }
    say(latest ? "" : t("noPlan"));
    kf.api(`/api/v1/hall/windows?${q()}`).then((w) => {
      const items = Array.isArray(w) ? w : (w && w.items) || [];
      $("hc-window-list").replaceChildren(...items.map((x) => Object.assign(document.createElement("option"), { value: x.number })));
    }).catch(() => {});  // the window list is a convenience: typing a number works too
  }

  async function uploadPlan(ev) {
    ev.preventDefault();
    const file = $("hc-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    const r = await kf.api(`/api/v1/hall/floorplans?${q()}`, { method: "POST", raw: true, body: form });
    const data = await r.json().catch(() => null);
    if (!r.ok) { say((data && data.message) || r.status + " " + r.statusText, true); return; }
    show(data.body);
    say(t("uploaded"));
  }

  async function publish() {
    const next = (state.current || 0) + 1;
    try {
      const out = await kf.api(`/api/v1/hall/content/floorplan/publish?${q()}`,
        { method: "POST", body: { version: next, plan: state.plan } });
      await load();
      say(t("published") + out.version);
    } catch (err) { say(err.message, true); }
  }

  async function rollback(version) {
    try {
      const out = await kf.api(`/api/v1/hall/content/floorplan/rollback?${q({ version })}`, { method: "POST" });
      await load();
      say(t("rolledTo") + out.version);
    } catch (err) { say(err.message, true); }
  }

  $("hc-site-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.site = $("hc-site").value.trim();
    history.replaceState(null, "", `?${new URLSearchParams({ site: state.site, ...(kf.LANG === "en" ? { lang: "en" } : {}) })}`);
    load().catch((err) => say(err.message, true));
  });
  $("hc-upload-form").addEventListener("submit", (ev) => uploadPlan(ev).catch((err) => say(err.message, true)));
  $("hc-add-window").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const number = ev.target.number.value.trim();
    if (!state.plan) { say(t("noPlan"), true); return; }
    if (state.plan.windows.some((w) => w.number === number)) { say(t("placed"), true); return; }
    const spot = { number, x: 0.5, y: 0.5 };
    state.plan.windows.push(spot);
    drawWindow(spot);
    ev.target.reset();
  });
  $("hc-add-area").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!state.plan) { say(t("noPlan"), true); return; }
    const area = { name_zh: ev.target.name_zh.value.trim(), name_en: ev.target.name_en.value.trim(), x: 0.35, y: 0.35, w: 0.3, h: 0.2 };
    state.plan.areas.push(area);
    drawArea(area);
    ev.target.reset();
  });
  $("hc-add-marker").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!state.plan) { say(t("noPlan"), true); return; }
    const id = ev.target.device_id.value.trim();
    const marker = { device_id: id, x: 0.5, y: 0.9 };
    state.plan.markers = state.plan.markers.filter((m) => m.device_id !== id).concat([marker]);
    editor.querySelectorAll(`.hc-marker[data-device="${CSS.escape(id)}"]`).forEach((el) => el.remove());
    drawMarker(marker);
    ev.target.reset();
  });
  $("hc-preview").addEventListener("change", (ev) => editor.classList.toggle("preview", ev.target.checked));
  $("hc-publish").addEventListener("click", publish);

  kf.start().then(() => {
    const site = new URLSearchParams(location.search).get("site");
    if (site) { $("hc-site").value = site; $("hc-site-form").requestSubmit(); }
  }).catch((err) => say(err.message, true));
})();
