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
      cell(c.ended_reason || ""));
    return tr;
  }

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
