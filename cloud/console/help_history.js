// kfleet console: the call history (通话记录) — GET /api/v1/help/calls with a site and a day
// (since the day's start, the day's end applied here), filtered here by outcome and operator;
// missed calls highlighted (a red edge and the word 未接, not colour alone). Wait = called →
// answered (or → missed), duration = answered → ended.
"use strict";

(() => {
  const { t, span } = kfHelpWords;
  const $ = (id) => document.getElementById(id);
  const form = $("hh-filters");
  const LIMIT = 500;
  document.title = "kfleet · " + t("historyTitle");

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text ?? "";
    return td;
  }

  function outcomeOf(c) {
    if (c.state === "missed" || c.state === "cancelled") return c.state;
    return c.outcome || "";
  }

  function row(c) {
    const tr = document.createElement("tr");
    const missed = c.state === "missed";
    tr.className = "help-row" + (missed ? " missed" : "");
    tr.dataset.call = c.call_id;
    const outcome = outcomeOf(c);
    const waitEnd = c.answered_at || (missed ? c.ended_at : null);
    tr.append(cell(kf.dated(c.created_at)), cell(c.site_name || c.site_path), cell(c.device_id),
      cell(t("s_" + c.state), missed ? "help-missed-label" : ""), cell(c.operator_name || c.operator || ""),
      cell(span(c.created_at, waitEnd)), cell(span(c.answered_at, c.ended_at)),
      cell(outcome ? t(outcome === "missed" || outcome === "cancelled" ? "s_" + outcome : outcome) : ""),
      cell(c.ended_reason || ""), recordingCell(c));
    return tr;
  }

  function recordingCell(c) {
    const td = cell("");
    if (c.recording && c.answered_at) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "hh-play";
      button.textContent = t("play");
      button.addEventListener("click", () => play(c).catch((err) => say(err.message)));
      td.append(button);
    }
    return td;
  }

  function say(text) { $("hh-player-status").textContent = text; }

  // both sides of a recorded call side by side; the browser fetches the WebM files with
  // ranges (GET /api/v1/help/recordings/{id}/media, same-origin: the session cookie)
  async function play(c) {
    const dialog = $("hh-player");
    for (const side of ["kiosk", "operator"]) {
      $(`hh-rec-${side}`).removeAttribute("src");
      $(`hh-rec-${side}-note`).textContent = "";
    }
    say("…");
    if (!dialog.open) dialog.showModal();
    let rows;
    try {
      rows = await kf.api(`/api/v1/help/calls/${encodeURIComponent(c.call_id)}/recordings`);
    } catch (err) {
      say(err.status === 403 ? t("recNoRight") : err.message);
      return;
    }
    const playable = rows.filter((r) => r.media_url);
    say(playable.length ? "" : t("recNone"));
    for (const r of rows) {
      const video = $(`hh-rec-${r.side}`);
      if (!video) continue;
      if (r.media_url) video.src = r.media_url;
      const note = [t("rec_" + r.state), r.duration_s ? `${r.duration_s} ${t("seconds")}` : "", r.reason].filter(Boolean);
      $(`hh-rec-${r.side}-note`).textContent = note.join(" · ");
    }
  }

  $("hh-player-close").addEventListener("click", () => {
    for (const side of ["kiosk", "operator"]) $(`hh-rec-${side}`).pause();
    $("hh-player").close();
  });

  function dayRange(day) {
    if (!day) return [null, null];
    const start = new Date(day + "T00:00:00");  // the browser's day, as the times are shown
    return [start, new Date(start.getTime() + 86400000)];
  }

  async function show(event) {
    if (event) event.preventDefault();
    const f = new FormData(form);
    const [start, end] = dayRange(f.get("day"));
    const q = new URLSearchParams({ limit: String(LIMIT) });
    if (f.get("site")) q.set("site", f.get("site").trim());
    if (start) q.set("since", start.toISOString());
    $("hh-status").textContent = "…";
    try {
      const data = await kf.api("/api/v1/help/calls?" + q);
      const operator = String(f.get("operator") || "").trim().toLowerCase();
      const outcome = f.get("outcome");
      const items = (Array.isArray(data) ? data : data.items || []).filter((c) =>
        (!end || new Date(c.created_at) < end) &&
        (!outcome || outcomeOf(c) === outcome) &&
        (!operator || [c.operator_name, c.operator].some((v) => v && String(v).toLowerCase().includes(operator))));
      $("hh-rows").replaceChildren(...items.map(row));
      $("hh-status").textContent = items.length ? `${items.length} ${t("count")}` : t("none");
      $("hh-status").classList.remove("error");
    } catch (err) {
      $("hh-status").textContent = err.message;
      $("hh-status").classList.add("error");
    }
  }

  form.addEventListener("submit", show);
  kf.start().then(() => show()).catch((err) => { $("hh-status").textContent = err.message; });
})();
