// kfleet console: the alert rule editor. Lists GET /api/v1/alert-rules; creates (POST), edits
// (PUT) and disables rules; a refused rule shows the API's sentence naming the field.
// Parameters are JSON, prefilled with each kind's defaults (docs/alerts.md lists them).
"use strict";

const kfAlertRules = (() => {
  const { t, cell, button, say } = kfAlertWords;
  const $ = (id) => document.getElementById(id);
  const form = $("rule-form");
  const TEMPLATES = {
    peripheral: { conditions: ["paper_out"], kinds: [] },
    presence: { after_s: 300, states: ["offline", "silent"] },
    metric: { name: "sys.disk_pct", op: ">", threshold: 90 },
    job_failure: { window_s: 3600, min_jobs: 5, rate: 0.5, per: "device" },
    stream_stalled: { purposes: ["monitor"] },
    rollout_halted: { within_s: 86400 },
  };
  let rules = [];
  let channels = [];
  let editing = null;
  let writer = false;
  let onChange = () => {};

  function body() {
    const f = new FormData(form);
    let params;
    try { params = JSON.parse(String(f.get("params") || "{}")); } catch { throw new Error(t("badJson")); }
    const text = (name) => String(f.get(name) || "").trim() || null;
    return {
      name: String(f.get("name") || ""), kind: f.get("kind"), params,
      severity: f.get("severity"), for_s: Number(f.get("for_s") || 0),
      repeat_s: Number(f.get("repeat_s") || 0), site: text("site") || "", role: text("role"),
      device_id: text("device_id"), enabled: form.elements.enabled.checked,
      channels: [...form.querySelectorAll("#rule-channels input:checked")].map((c) => c.value),
    };
  }

  function open(rule) {
    editing = rule ? rule.id : null;
    $("rule-form-title").textContent = rule ? t("editRule") + " · " + rule.name : t("newRule");
    const r = rule || { name: "", kind: "peripheral", params: TEMPLATES.peripheral, severity: "major",
      for_s: 0, repeat_s: 3600, site: "", role: null, device_id: null, channels: [], enabled: true };
    for (const k of ["name", "kind", "severity", "for_s", "repeat_s", "site"]) form.elements[k].value = r[k] ?? "";
    form.elements.role.value = r.role || "";
    form.elements.device_id.value = r.device_id || "";
    form.elements.params.value = JSON.stringify(r.params);
    form.elements.enabled.checked = r.enabled;
    const box = $("rule-channels");
    box.querySelectorAll("label").forEach((l) => l.remove());
    for (const name of channels) {
      const label = document.createElement("label");
      label.className = "check";
      const c = document.createElement("input");
      c.type = "checkbox"; c.value = name; c.checked = r.channels.includes(name);
      label.append(c, " " + name);
      box.append(label);
    }
    $("rule-error").textContent = "";
    form.hidden = false;
    form.elements.name.focus();
  }

  async function save(e) {
    e.preventDefault();
    try {
      const b = body();
      const path = editing === null ? "/api/v1/alert-rules" : "/api/v1/alert-rules/" + editing;
      await kf.api(path, { method: editing === null ? "POST" : "PUT", body: b });
      form.hidden = true;
      say(t("saved"));
      await load();
    } catch (err) {
      $("rule-error").textContent = err.message;
    }
  }

  async function toggle(rule) {
    const b = { ...rule, enabled: !rule.enabled };
    for (const k of ["id", "updated_at", "updated_by", "editable"]) delete b[k];
    try {
      await kf.api("/api/v1/alert-rules/" + rule.id, { method: "PUT", body: b });
      await load();
    } catch (err) { say(err.message, true); }
  }

  function render(rule) {
    const tr = document.createElement("tr");
    tr.dataset.id = rule.id;
    tr.dataset.name = rule.name;
    const acts = cell("");
    if (writer && rule.editable) {
      acts.append(button(t("edit"), "edit", () => open(rule)),
        button(rule.enabled ? t("disable") : t("enable"), "toggle", () => toggle(rule)));
    }
    const scope = [rule.site || t("everywhere"), rule.role, rule.device_id].filter(Boolean).join(" · ");
    tr.append(cell(rule.name, "name"), cell(t("k_" + rule.kind), "kind"), cell(t(rule.severity), "severity"),
      cell(scope, "scope"), cell(rule.enabled ? t("yes") : t("no"), "enabled"), acts);
    return tr;
  }

  async function load() {
    const got = await kf.api("/api/v1/alert-rules");
    rules = got.items;
    channels = got.channels;
    $("rule-rows").replaceChildren(...rules.map(render));
    onChange(rules);
  }

  function start(canWrite, changed) {
    writer = canWrite;
    onChange = changed;
    $("rule-new").hidden = !writer;
    $("rule-new").addEventListener("click", () => open(null));
    $("rule-cancel").addEventListener("click", () => { form.hidden = true; });
    form.elements.kind.addEventListener("change", () => {
      if (editing === null) form.elements.params.value = JSON.stringify(TEMPLATES[form.elements.kind.value]);
    });
    form.addEventListener("submit", save);
    return load();
  }

  return { start, load, names: () => new Map(rules.map((r) => [r.id, r.name])) };
})();
