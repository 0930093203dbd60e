// kfleet console, jobs page: the words (zh-CN, English with ?lang=en) and small helpers both
// the list (jobs.js) and the detail (job_detail.js) use. Every state is said in words as well
// as in colour; times carry their date (local time zone).
"use strict";

const jobsUi = (() => {
  const T = {
    "zh-CN": {
      title: "任务", site: "站点（含下级）", siteOf: "站点", device: "设备", kind: "类型", state: "状态",
      any: "全部", from: "开始时间", to: "结束时间", search: "查询", created: "创建时间",
      message: "说明", prev: "上一页", next: "下一页", none: "没有符合条件的任务",
      loading: "加载中…", back: "← 返回任务列表", timeline: "状态记录", params: "参数",
      result: "结果", attachments: "附件", proof: "打印小票预览（纸上打印的内容）",
      proofError: "未能保存小票预览", scanJpeg: "扫描图像", scanPdf: "PDF 文件",
      snapshotJpeg: "拍照图像", openPdf: "打开 PDF", cancel: "取消任务", canceling: "正在取消…",
      cancelAsked: "已请求设备取消，等待设备确认", canceledNow: "任务已取消",
      attempts: "尝试次数", updatedAt: "更新时间", expiresAt: "过期时间", target: "目标",
      noResult: "（暂无结果）", reason: "原因", source: "来源", of: "共",
      print_receipt: "打印小票", scan: "扫描", snapshot: "拍照", print_document: "打印文档",
      copy: "复印",
      queued: "排队", dispatched: "已下发", accepted: "已接收", running: "执行中",
      succeeded: "成功", failed: "失败", canceled: "已取消", expired: "已过期",
      uncertain: "待确认",
      api: "接口", bus: "设备", dispatcher: "调度", operator: "人工",
    },
    en: {
      title: "Jobs", site: "Site (and below)", siteOf: "Site", device: "Device", kind: "Kind", state: "State",
      any: "any", from: "From", to: "To", search: "Search", created: "Created",
      message: "Message", prev: "Previous", next: "Next", none: "no jobs match",
      loading: "loading…", back: "← Back to the jobs", timeline: "Timeline", params: "Parameters",
      result: "Result", attachments: "Attachments", proof: "Receipt preview (what the paper showed)",
      proofError: "The receipt preview was not kept", scanJpeg: "Scanned image", scanPdf: "PDF",
      snapshotJpeg: "Snapshot", openPdf: "Open the PDF", cancel: "Cancel job",
      canceling: "canceling…", cancelAsked: "the device was asked to cancel; waiting for it",
      canceledNow: "the job was canceled", attempts: "Attempts", updatedAt: "Updated",
      expiresAt: "Expires", target: "Target", noResult: "(no result yet)", reason: "Reason",
      source: "Source", of: "of",
      print_receipt: "print receipt", scan: "scan", snapshot: "snapshot",
      print_document: "print document", copy: "copy",
      queued: "queued", dispatched: "dispatched", accepted: "accepted", running: "running",
      succeeded: "succeeded", failed: "failed", canceled: "canceled", expired: "expired",
      uncertain: "uncertain",
      api: "API", bus: "device", dispatcher: "dispatcher", operator: "operator",
    },
  }[kf.LANG];
  // A label for a key; an unknown key is shown as it is rather than hidden.
  const t = (key) => T[key] ?? key;

  const pad = (n) => String(n).padStart(2, "0");
  function dated(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    node.append(...children);
    return node;
  }

  function badge(state) {
    return el("span", { class: "badge " + state, "data-state": state }, t(state));
  }

  // The page's URL for the current filters (and a job, when one is open).
  function pageUrl(params) {
    const p = new URLSearchParams(params);
    if (kf.LANG === "en") p.set("lang", "en");
    const q = p.toString();
    return "/jobs" + (q ? "?" + q : "");
  }

  return { t, dated, el, badge, pageUrl };
})();
