// Words of the site overview (/overview): zh-CN, and English with ?lang=en.
"use strict";

const OW = {
  "zh-CN": {
    title: "站点概览", site: "站点（含下级）", devices: "设备", peripherals: "外设状态",
    paper: "打印机纸张", failures: "失败（24 小时）", notLive: "静默与离线设备",
    online: "在线", silent: "静默", offline: "离线", never_seen: "从未上线",
    ok: "正常", degraded: "降级", unknown: "未知", near_end: "纸将尽", out: "缺纸",
    jobsPerHour: "每小时任务（24 小时，按当前状态）", paperHistory: "纸张状态（24 小时）",
    queued: "排队", dispatched: "已下发", accepted: "已接收", running: "执行中",
    succeeded: "成功", failed: "失败", canceled: "已取消", expired: "已过期", uncertain: "待确认",
    device: "设备", peripheral: "外设", state: "状态", reason: "原因", count: "次数",
    lastReason: "最近原因", since: "起始", noFailures: "无失败任务", none: "无",
    noData: "该时段无数据", updated: "已更新", error: "无法读取", badSite: "不是站点路径",
    receipt_printer: "小票打印机", a4_printer: "A4 打印机",
    paper_out: "缺纸", cover_open: "纸仓盖打开", printer_unreachable: "打印机无法连接",
    printer_error: "打印机故障", printer_silent: "打印机无应答", retries_exhausted: "重试次数用完",
    connection_lost: "连接中断", no_peripheral: "无可用外设", bad_params: "参数错误",
    h0: "正常", h1: "降级", h2: "离线", h3: "未知", p0: "正常", p1: "将尽", p2: "缺纸", p3: "未知",
  },
  en: {
    title: "Site overview", site: "Site (with subtree)", devices: "Devices",
    peripherals: "Peripheral health", paper: "Printer paper", failures: "Failures (24 h)",
    notLive: "Silent and offline devices",
    online: "online", silent: "silent", offline: "offline", never_seen: "never seen",
    ok: "ok", degraded: "degraded", unknown: "unknown", near_end: "near end", out: "out",
    jobsPerHour: "Jobs per hour (24 h, by state now)", paperHistory: "Paper state (24 h)",
    queued: "queued", dispatched: "dispatched", accepted: "accepted", running: "running",
    succeeded: "succeeded", failed: "failed", canceled: "canceled", expired: "expired",
    uncertain: "uncertain",
    device: "Device", peripheral: "Peripheral", state: "State", reason: "Reason",
    count: "Count", lastReason: "Latest reason", since: "Since", noFailures: "no failed jobs",
    none: "none", noData: "no data in this range", updated: "updated", error: "cannot read",
    badSite: "not a site path",
    receipt_printer: "receipt printer", a4_printer: "A4 printer",
    paper_out: "paper out", cover_open: "cover open", printer_unreachable: "printer unreachable",
    printer_error: "printer error", printer_silent: "printer silent",
    retries_exhausted: "retries exhausted", connection_lost: "connection lost",
    no_peripheral: "no peripheral", bad_params: "bad parameters",
    h0: "ok", h1: "degraded", h2: "offline", h3: "unknown",
    p0: "ok", p1: "near end", p2: "out", p3: "unknown",
  },
}[kf.LANG];
// A label for a key; an unknown key is shown as it is rather than hidden.
const ow = (key) => OW[key] ?? key;
