// kfleet console: agent releases and staged rollouts (升级发布, issue 17). Upload a release
// (POST /api/v1/agent-releases), start a rollout on a subtree in waves, watch each wave's
// progress and every device's state, pause / resume / abort. Refreshes every 5 s.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "升级发布", releases: "终端程序版本", artifact: "版本包（.tar.gz）", publish: "上传版本",
      version: "版本", size: "大小", protocol: "协议", notes: "说明", published: "上传时间", by: "上传人",
      start: "分批升级", site: "站点（含下级）", siteShort: "站点", window: "健康检查时限（秒）",
      maxFailures: "每批允许失败数", waves: "批次（每行一批，站点以空格分隔；留空则每个下级站点一批）",
      go: "开始升级", rollouts: "升级记录", id: "编号", state: "状态", progress: "进度", created: "开始时间",
      reason: "说明", actions: "操作", wave: "批次", sites: "站点", healthy: "正常", failed: "失败",
      rolledBack: "已回退", device: "终端", fromVersion: "原版本", pause: "暂停", resume: "继续",
      abort: "终止", details: "详情", confirmAbort: "终止后不再下发升级，已升级的终端保持新版本。确定终止？",
      uploaded: "已上传版本 ", sameAgain: "该版本已上传过（内容相同）：", started: "已开始升级 ",
      none: "暂无升级记录", noReleases: "尚未上传版本", detailOf: "升级详情 ", waveOf: "第 {n} 批",
      s_running: "进行中", s_paused: "已暂停", s_completed: "已完成", s_halted: "已停止（已回退）", s_aborted: "已终止",
      s_waiting: "等待中", s_passed: "已通过", s_stopped: "未执行",
      s_pending: "待升级", s_ordered: "已下发", s_downloading: "下载中", s_staged: "已就绪", s_switching: "切换中",
      s_healthy: "正常", s_failed: "失败", s_rolled_back: "已回退", s_timed_out: "超时",
    },
    en: {
      title: "Agent rollouts", releases: "Agent releases", artifact: "Release (.tar.gz)", publish: "Upload release",
      version: "Version", size: "Size", protocol: "Protocol", notes: "Notes", published: "Uploaded", by: "By",
      start: "Staged rollout", site: "Site (with its subtree)", siteShort: "Site", window: "Health window (s)",
      maxFailures: "Failures allowed per wave", waves: "Waves (one per line, sites separated by spaces; empty: one wave per child site)",
      go: "Start rollout", rollouts: "Rollouts", id: "Id", state: "State", progress: "Progress", created: "Started",
      reason: "Details", actions: "Actions", wave: "Wave", sites: "Sites", healthy: "Healthy", failed: "Failed",
      rolledBack: "Rolled back", device: "Device", fromVersion: "Previous version", pause: "Pause", resume: "Resume",
      abort: "Abort", details: "Details", confirmAbort: "After an abort no more devices are ordered; upgraded ones keep the new version. Abort?",
      uploaded: "Uploaded release ", sameAgain: "This release was uploaded before (same bytes): ", started: "Started rollout ",
      none: "No rollouts yet", noReleases: "No release uploaded yet", detailOf: "Rollout ", waveOf: "Wave {n}",
      s_running: "running", s_paused: "paused", s_completed: "completed", s_halted: "halted (rolled back)", s_aborted: "aborted",
      s_waiting: "waiting", s_passed: "passed", s_stopped: "not run",
      s_pending: "pending", s_ordered: "ordered", s_downloading: "downloading", s_staged: "staged", s_switching: "switching",
      s_healthy: "healthy", s_failed: "failed", s_rolled_back: "rolled back", s_timed_out: "timed out",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");
  const $ = (id) => document.getElementById(id);
  let shown = null;  // the rollout whose details are open

  function say(text, error) {
    $("ro-status").textContent = text;
    $("ro-status").classList.toggle("error", Boolean(error));
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text ?? "";
    return td;
  }

  function stateCell(state) {
    return cell(t("s_" + state), "ro-state " + state);
  }

  function button(label, action, id) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = t(label);
    b.dataset.action = action;
    b.dataset.rollout = id;
    return b;
  }

  function progressCell(done, total) {
    const td = document.createElement("td");
    const bar = document.createElement("progress");
    bar.max = Math.max(total, 1);
    bar.value = done;
    bar.setAttribute("aria-label", `${done} / ${total}`);
    td.append(bar, ` ${done} / ${total}`);
    return td;
  }

  function kib(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + " MiB" : Math.ceil(n / 1024) + " KiB"; }

  async function loadReleases() {
    const releases = await kf.api("/api/v1/agent-releases");
    $("ro-release-rows").replaceChildren(...releases.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.version = r.version;
      tr.append(cell(r.version), cell(kib(r.size)), cell(String(r.protocol)), cell(r.notes),
        cell(kf.dated(r.created_at)), cell(r.created_by));
      return tr;
    }));
    const select = $("ro-version");
    const keep = select.value;
    select.replaceChildren(...releases.map((r) => new Option(r.version, r.version)));
    if (keep && releases.some((r) => r.version === keep)) select.value = keep;
    if (!releases.length) $("ro-release-rows").append(emptyRow(6, t("noReleases")));
  }

  function emptyRow(span, text) {
    const tr = document.createElement("tr");
    const td = cell(text);
    td.colSpan = span;
    tr.append(td);
    return tr;
  }

  function rolloutRow(r) {
    const tr = document.createElement("tr");
    tr.dataset.rollout = r.rollout_id;
    const devices = r.waves.reduce((n, w) => n + w.devices, 0);
    const healthy = r.waves.reduce((n, w) => n + w.healthy, 0);
    const actions = document.createElement("td");
    actions.append(button("details", "details", r.rollout_id));
    if (r.state === "running") actions.append(button("pause", "pause", r.rollout_id));
    if (r.state === "paused") actions.append(button("resume", "resume", r.rollout_id));
    if (r.state === "running" || r.state === "paused") actions.append(button("abort", "abort", r.rollout_id));
    tr.append(cell(r.rollout_id), cell(r.version), cell(r.site), stateCell(r.state),
      progressCell(healthy, devices), cell(kf.dated(r.created_at)), cell(r.reason), actions);
    return tr;
  }

  async function loadRollouts() {
    const rollouts = await kf.api("/api/v1/rollouts");
    $("ro-rollout-rows").replaceChildren(...rollouts.map(rolloutRow));
    if (!rollouts.length) $("ro-rollout-rows").append(emptyRow(8, t("none")));
    if (shown) await loadDetail(shown);
  }

  async function loadDetail(id) {
    const [r, devices] = await Promise.all([
      kf.api(`/api/v1/rollouts/${id}`), kf.api(`/api/v1/rollouts/${id}/devices`)]);
    $("ro-detail").hidden = false;
    $("ro-detail-h").textContent = `${t("detailOf")}${r.rollout_id} · ${r.version} · ${t("s_" + r.state)}`;
    $("ro-wave-rows").replaceChildren(...r.waves.map((w) => {
      const tr = document.createElement("tr");
      tr.dataset.wave = String(w.index);
      tr.append(cell(t("waveOf").replace("{n}", String(w.index + 1))), cell(w.sites.join(" ")),
        stateCell(w.state), progressCell(w.healthy, w.devices), cell(String(w.healthy)),
        cell(String(w.failed)), cell(String(w.rolled_back)));
      return tr;
    }));
    $("ro-device-rows").replaceChildren(...devices.map((d) => {
      const tr = document.createElement("tr");
      tr.dataset.device = d.device_id;
      tr.append(cell(d.device_id), cell(d.site), cell(String(d.wave + 1)), stateCell(d.state),
        cell(d.from_version), cell(d.reason));
      return tr;
    }));
  }

  async function refresh() {
    try {
      await Promise.all([loadReleases(), loadRollouts()]);
    } catch (err) {
      say(err.message, true);
    }
  }

  $("ro-upload").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("ro-file").files[0];
    if (!file) return;
    say("…");
    try {
      const r = await kf.api("/api/v1/agent-releases", {
        method: "POST", body: file, headers: { "Content-Type": "application/gzip" }, raw: true });
      const body = await r.json();
      if (!r.ok) throw new Error(body.message || r.statusText);
      say((r.status === 200 ? t("sameAgain") : t("uploaded")) + body.version);
      $("ro-upload").reset();
      await loadReleases();
      $("ro-version").value = body.version;
    } catch (err) {
      say(err.message, true);
    }
  });

  function wavesOf(text) {
    const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
    return lines.length ? lines.map((l) => ({ sites: l.split(/ +/) })) : undefined;
  }

  $("ro-start").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      version: $("ro-version").value,
      site: $("ro-site").value.trim(),
      health_window_s: Number($("ro-window").value),
      max_failures: Number($("ro-max-failures").value),
    };
    const waves = wavesOf($("ro-waves").value);
    if (waves) body.waves = waves;
    say("…");
    try {
      const r = await kf.api("/api/v1/rollouts", { method: "POST", body });
      say(t("started") + r.rollout_id);
      shown = r.rollout_id;
      await loadRollouts();
    } catch (err) {
      say(err.message, true);
    }
  });

  $("ro-rollout-rows").addEventListener("click", async (event) => {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    const { action, rollout } = b.dataset;
    try {
      if (action === "details") {
        shown = rollout;
      } else {
        if (action === "abort" && !window.confirm(t("confirmAbort"))) return;
        const r = await kf.api(`/api/v1/rollouts/${rollout}/${action}`, { method: "POST" });
        say(`${r.rollout_id}: ${t("s_" + r.state)}`);
      }
      await loadRollouts();
    } catch (err) {
      say(err.message, true);
    }
  });

  kf.start().then(refresh).then(() => setInterval(refresh, 5000))
    .catch((err) => say(err.message, true));
})();
