// kfleet console: renders the site tree with devices, peripheral health and recent jobs.
// Polls the REST API every 2 s (through kf.api from shell.js: the login session, and a signed-
// out browser goes to /login); it shows only the signed-in person's site subtree (the API
// filters). Labels in zh-CN, English with ?lang=en. Every state is said in words as well as in
// colour; times carry their date (YYYY-MM-DD HH:mm:ss, local time).
"use strict";

const LANG = kf.LANG;
const T = {
  "zh-CN": {
    title: "kfleet 设备运维控制台", online: "在线", offline: "离线", updated: "已更新",
    error: "无法连接服务", noDevices: "暂无设备", peripherals: "外设", jobs: "最近任务",
    noJobs: "暂无任务", lastSeen: "最后上报", siteJobs: "发往本站点的任务（待分配设备）",
    deviceOffline: "设备离线", toSite: "发往站点",
    silent: "失联", never_seen: "从未上报",
    silentWhy: "自称在线，但已超过三个心跳周期没有任何消息（链路或代理可能已丢失它）",
    province: "省", prefecture: "州/市", city: "县/市", town: "乡镇/街道", village: "村/社区",
    ok: "正常", degraded: "降级", unknown: "未知", error_health: "故障",
    queued: "排队", dispatched: "已下发", accepted: "已接收", running: "执行中",
    succeeded: "成功", failed: "失败", canceled: "已取消", expired: "已过期", uncertain: "待确认",
    print_receipt: "打印小票", snapshot: "拍照", scan: "扫描", print_document: "打印文档",
    copy: "复印",
    receipt_printer: "小票打印机", a4_printer: "A4 打印机", doc_camera: "高拍仪",
    av_camera: "摄像头", camera: "摄像头", idcard_reader: "身份证读卡器", rating_pad: "评价器",
    call_button: "呼叫按钮",
    kiosk: "自助终端", window: "窗口终端", hall_screen: "大厅屏",
    paper_out: "缺纸", cover_open: "纸仓盖打开", printer_unreachable: "打印机无法连接",
    printer_error: "打印机故障", printer_busy: "打印机忙", offline: "离线",
    retries_exhausted: "重试次数用完", operator: "人工处理", failover: "转交其他设备",
    reprint: "重新打印", bad_params: "参数错误", no_peripheral: "无可用外设",
  },
  en: {
    title: "kfleet operations console", online: "online", offline: "offline", updated: "updated",
    error: "cannot reach the service", noDevices: "no devices", peripherals: "Peripherals",
    jobs: "Recent jobs", noJobs: "no jobs", lastSeen: "last seen",
    siteJobs: "Jobs for this site (no device yet)", deviceOffline: "device offline",
    toSite: "to site", silent: "silent", never_seen: "never seen",
    silentWhy: "says online but has sent nothing for three heartbeats (its link or the broker may have lost it)",
    province: "province", prefecture: "prefecture", city: "city", town: "town/street",
    village: "village/community", ok: "ok", degraded: "degraded", unknown: "unknown",
    error_health: "error",
    queued: "queued", dispatched: "dispatched", accepted: "accepted", running: "running",
    succeeded: "succeeded", failed: "failed", canceled: "canceled", expired: "expired",
    uncertain: "uncertain",
    print_receipt: "print receipt", snapshot: "snapshot", scan: "scan",
    print_document: "print document", copy: "copy",
    receipt_printer: "receipt printer", a4_printer: "A4 printer", doc_camera: "document camera",
    av_camera: "camera", camera: "camera", idcard_reader: "ID card reader",
    rating_pad: "rating pad", call_button: "call button",
    kiosk: "kiosk", window: "counter terminal", hall_screen: "hall screen",
    paper_out: "paper out", cover_open: "cover open", printer_unreachable: "printer unreachable",
    printer_error: "printer error", printer_busy: "printer busy", offline: "offline",
    retries_exhausted: "retries exhausted", operator: "by an operator",
    failover: "moved to another device", reprint: "reprint", bad_params: "bad parameters",
    no_peripheral: "no peripheral",
  },
}[LANG];
// A label for a key; an unknown key is shown as it is rather than hidden.
const t = (key) => T[key] ?? key;
// Health "error" would clash with the page's own "error" message key.
const healthLabel = (health) => t(health === "error" ? "error_health" : health);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const pad = (n) => String(n).padStart(2, "0");

// "2026-12-06 12:34:56" in the browser's time zone, whatever the language.
function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const badge = (cls, text) => el("span", { class: `badge ${cls}` }, text);

function peripheralItem(p, deviceOnline) {
  // An offline device cannot report its peripherals: their last health is no longer known.
  const status = deviceOnline ? badge(p.health, healthLabel(p.health))
    : badge("unknown device-offline", t("deviceOffline"));
  const reason = deviceOnline && p.reason ? ` ${p.reason}` : "";
  return el("li", { "data-peripheral": p.id, "data-health": deviceOnline ? p.health : "unknown" },
    `${t(p.kind)} (${p.id}) `, status, reason);
}

// A site-targeted job says so, also once it has been dispatched to one of the site's devices;
// its kind links to its detail on the jobs page.
function jobItem(j) {
  const reason = j.reason ? ` (${t(j.reason)})` : "";
  const detail = kf.link("/jobs") + (LANG === "en" ? "&" : "?") + "id=" + encodeURIComponent(j.id);
  const item = el("li", { "data-job": j.id }, el("a", { href: detail }, t(j.kind)), " ",
    badge(j.state, t(j.state)),
    ` ${formatTime(j.created_at)}`, reason);
  if (j.target.site) item.append(el("span", { class: "muted" }, ` · ${t("toSite")} ${j.target.site}`));
  return item;
}

function jobList(jobs) {
  const list = el("ul", {});
  for (const j of jobs.slice(0, 5)) list.append(jobItem(j));
  if (!jobs.length) list.append(el("li", { class: "muted" }, t("noJobs")));
  return list;
}

// The device's own page: its metrics charted (device.js).
const deviceHref = (id) => kf.link("/device") + (LANG === "en" ? "&" : "?") + "id=" +
  encodeURIComponent(id);

function deviceCard(device, jobs) {
  // liveness: a device that says online but is quiet too long is "silent", shown apart
  const state = device.liveness === "silent" ? "silent" : device.online ? "online" : "offline";
  const seen = device.last_seen ? ` · ${t("lastSeen")} ${formatTime(device.last_seen)}` : "";
  const card = el("article", { class: `device ${state}`, "data-device": device.id,
    "data-liveness": device.liveness ?? state },
    el("h3", {}, el("a", { href: deviceHref(device.id), class: "device-link" },
      device.name || device.id), " ", badge(state, t(state))),
    el("div", { class: "muted" }, `${device.id} · ${t(device.role)}${seen}`));
  if (state === "silent") {
    card.append(el("div", { class: "liveness-reason", title: device.liveness_reason ?? "" },
      t("silentWhy")));
  }
  const per = el("ul", {});
  for (const p of device.peripherals) per.append(peripheralItem(p, device.online));
  card.append(el("div", {}, t("peripherals")), per, el("div", {}, t("jobs")), jobList(jobs));
  return card;
}

function siteJobs(jobs) {
  const box = el("div", { class: "site-jobs" }, el("div", {}, t("siteJobs")));
  const list = el("ul", {});
  for (const j of jobs.slice(0, 10)) list.append(jobItem(j));
  box.append(list);
  return box;
}

function siteNode(site, view) {
  const node = el("div", { class: "site", "data-site": site.path },
    el("div", { class: "name" }, site.name, el("span", { class: "level" }, `${t(site.level)} · ${site.path}`)));
  const waiting = view.jobsBySite.get(site.path) ?? [];
  if (waiting.length) node.append(siteJobs(waiting));
  const devices = view.devicesBySite.get(site.path) ?? [];
  if (devices.length) {
    const box = el("div", { class: "devices" });
    for (const d of devices) box.append(deviceCard(d, view.jobsByDevice.get(d.id) ?? []));
    node.append(box);
  }
  for (const child of site.children) node.append(siteNode(child, view));
  return node;
}

const getJson = (url) => kf.api(url);

function groupBy(items, keyOf) {
  const groups = new Map();
  for (const item of items) {
    const key = keyOf(item);
    if (key == null) continue;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(item);
  }
  return groups;
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [sites, devices, jobs] = await Promise.all([
      getJson("/api/v1/sites"), getJson("/api/v1/devices"), getJson("/api/v1/jobs?limit=200"),
    ]);
    const view = {
      devicesBySite: groupBy(devices, (d) => d.site),
      jobsByDevice: groupBy(jobs.items, (j) => j.device_id ?? j.target.device_id),
      // a site-targeted job has no device until the cloud dispatches it: show it at its site
      jobsBySite: groupBy(jobs.items, (j) => (j.device_id ?? j.target.device_id) ? null : j.target.site),
    };
    const tree = document.getElementById("tree");
    tree.replaceChildren(...sites.map((s) => siteNode(s, view)));
    if (!devices.length) tree.append(el("p", { class: "muted" }, t("noDevices")));
    status.textContent = `${t("updated")} ${formatTime(new Date().toISOString())}`;
  } catch (err) {
    status.textContent = `${t("error")}: ${err.message}`;
  }
}

document.title = t("title");
document.querySelector("[data-i18n=title]").textContent = t("title");
kf.start().then(() => {
  refresh();
  setInterval(refresh, 2000);
}, (err) => {
  document.getElementById("status").textContent = `${t("error")}: ${err.message}`;
});
