// kfleet console: the alerts page. Open alerts (GET /api/v1/alerts, filtered by state and
// severity, "more" follows next_cursor) with acknowledge and silence buttons for people with
// alerts.write, each alert's history, the silences in force (expire), and the rule editor
// (alert_rules.js). Severity is said in words as well as colour. Refreshes every 15 s.
"use strict";

(() => {
  const { t, dated, cell, button, say } = kfAlertWords;
  const $ = (id) => document.getElementById(id);
  const filters = $("alert-filters");
  const silenceForm = $("silence-form");
  let cursor = null;
  let writer = false;

  function fillRuleChoices(rules) {
    const select = $("silence-rule");
    const keep = select.value;
    const any = new Option(t("anyRule"), "");
    select.replaceChildren(any, ...rules.map((r) => new Option(r.name, String(r.id))));
    select.value = keep;
  }

  async function ack(alert) {
    try {
      await kf.api(`/api/v1/alerts/${alert.id}/ack`, { method: "POST", body: {} });
      await loadAlerts(true);
    } catch (err) { say(err.message, true); }
  }

  function silenceFor(alert) {
    silenceForm.elements.rule_id.value = String(alert.rule_id);
    silenceForm.elements.subject.value = alert.subject;
    silenceForm.elements.reason.focus();
  }

  async function showHistory(alert) {
    try {
      const detail = await kf.api(`/api/v1/alerts/${alert.id}`);
      $("history-title").textContent = `#${detail.id} ${detail.rule_name} · ${detail.subject}`;
      $("history-rows").replaceChildren(...detail.history.map((e) => {
        const li = document.createElement("li");
        li.textContent = `${dated(e.at)} ${t(e.kind)} (${e.actor}) ${e.message}`;
        return li;
      }));
      $("alert-history").hidden = false;
    } catch (err) { say(err.message, true); }
  }

  function renderAlert(a) {
    const tr = document.createElement("tr");
    tr.dataset.id = a.id;
    tr.dataset.subject = a.subject;
    tr.className = a.state;
    const sev = document.createElement("span");
    sev.className = "sev " + a.severity;
    sev.textContent = t(a.severity);
    const sevCell = cell("");
    sevCell.append(sev);
    const state = [t(a.state), a.acked_at ? t("acked") + " · " + a.acked_by : "", a.silenced ? t("silenced") : ""];
    const acts = cell("");
    if (writer && (a.state === "firing" || a.state === "pending")) {
      if (!a.acked_at) acts.append(button(t("ack"), "ack", () => ack(a)));
      acts.append(button(t("silence"), "silence", () => silenceFor(a)));
    }
    acts.append(button(t("history"), "history", () => showHistory(a)));
    tr.append(sevCell, cell(state.filter(Boolean).join(" · "), "state"), cell(a.rule_name, "rule"),
      cell(a.summary, "summary"), cell(a.site, "site"), cell(dated(a.fired_at || a.started_at), "since"), acts);
    return tr;
  }

  async function loadAlerts(fresh) {
    if (fresh) { $("alert-rows").replaceChildren(); cursor = null; }
    const p = new URLSearchParams();
    for (const [name, value] of new FormData(filters)) if (value) p.set(name, String(value));
    if (cursor !== null) p.set("cursor", cursor);
    try {
      const page = await kf.api("/api/v1/alerts?" + p.toString());
      $("alert-rows").append(...page.items.map(renderAlert));
      cursor = page.next_cursor;
      $("alerts-more").hidden = cursor === null;
      say($("alert-rows").children.length ? "" : t("none"));
    } catch (err) { say(err.message, true); }
  }

  async function expire(s) {
    try {
      await kf.api(`/api/v1/silences/${s.id}/expire`, { method: "POST" });
      await loadSilences();
    } catch (err) { say(err.message, true); }
  }

  async function loadSilences() {
    const names = kfAlertRules.names();
    const list = await kf.api("/api/v1/silences");
    $("silence-rows").replaceChildren(...list.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.id = s.id;
      const acts = cell("");
      if (writer) acts.append(button(t("expire"), "expire", () => expire(s)));
      tr.append(cell(s.rule_id ? names.get(s.rule_id) || "#" + s.rule_id : t("anyRule"), "rule"),
        cell(s.subject || "", "subject"), cell(dated(s.ends_at), "until"), cell(s.created_by, "by"),
        cell(s.reason, "reason"), acts);
      return tr;
    }));
  }

  async function createSilence(e) {
    e.preventDefault();
    const f = new FormData(silenceForm);
    const body = { duration_s: Number(f.get("duration_s")), reason: String(f.get("reason") || "") };
    if (f.get("rule_id")) body.rule_id = Number(f.get("rule_id"));
    if (String(f.get("subject") || "").trim()) body.subject = String(f.get("subject")).trim();
    try {
      await kf.api("/api/v1/silences", { method: "POST", body });
      silenceForm.reset();
      await Promise.all([loadSilences(), loadAlerts(true)]);
    } catch (err) { say(err.message, true); }
  }

  filters.addEventListener("submit", (e) => { e.preventDefault(); loadAlerts(true); });
  $("alerts-more").addEventListener("click", () => loadAlerts(false));
  silenceForm.addEventListener("submit", createSilence);
  kf.start().then(async (me) => {
    writer = (me.permissions || []).includes("alerts.write");
    for (const node of document.querySelectorAll(".writer")) node.hidden = !writer;
    say(t("loading"));
    await kfAlertRules.start(writer, fillRuleChoices);
    await Promise.all([loadAlerts(true), loadSilences()]);
    setInterval(() => { if (cursor === null) loadAlerts(true); }, 15000);
  }).catch((err) => say(err.message, true));
})();
