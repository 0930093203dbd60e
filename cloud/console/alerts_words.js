// kfleet console: the words of the alerts page, zh-CN first (the people on call read Chinese),
// English with ?lang=en. Loaded before alert_rules.js and alerts.js, which share kfAlertWords.
"use strict";

const kfAlertWords = (() => {
  const T = {
    "zh-CN": {
      title: "告警", alerts: "告警", state: "状态", open: "未关闭", firing: "告警中", pending: "待定",
      resolved: "已恢复", cleared: "已消除", all: "全部", severity: "级别", critical: "紧急",
      major: "重要", minor: "次要", warning: "警告", info: "提示", refresh: "刷新", rule: "规则",
      summary: "内容", site: "站点", since: "开始时间", actions: "操作", more: "加载更多",
      history: "历史", silences: "静默", subject: "对象", duration: "时长", h1: "1 小时",
      h4: "4 小时", d1: "1 天", reason: "原因", silence: "静默", until: "截止", by: "创建人",
      rules: "告警规则", name: "名称", kind: "类型", scope: "范围", enabled: "启用",
      newRule: "新建规则", params: "参数 (JSON)", for_s: "持续 (秒)", repeat_s: "提醒间隔 (秒)",
      role: "角色", device: "设备", channels: "通知渠道", save: "保存", cancel: "取消",
      ack: "确认", acked: "已确认", expire: "结束静默", edit: "编辑", disable: "停用",
      enable: "启用", yes: "是", no: "否", everywhere: "全部站点", none: "没有告警",
      loading: "加载中…", saved: "已保存", editRule: "编辑规则", anyRule: "（任意规则）",
      silenced: "已静默", k_peripheral: "外设状态", k_presence: "在线状态", k_metric: "指标阈值",
      k_job_failure: "任务失败率", k_stream_stalled: "视频流中断", k_rollout_halted: "升级已停止", badJson: "参数不是有效的 JSON",
    },
    en: {
      title: "Alerts", alerts: "Alerts", state: "State", open: "open", firing: "firing",
      pending: "pending", resolved: "resolved", cleared: "cleared", all: "all",
      severity: "Severity", critical: "critical", major: "major", minor: "minor",
      warning: "warning", info: "info", refresh: "Refresh", rule: "Rule", summary: "Summary",
      site: "Site", since: "Since", actions: "Actions", more: "More", history: "History",
      silences: "Silences", subject: "Subject", duration: "Duration", h1: "1 hour",
      h4: "4 hours", d1: "1 day", reason: "Reason", silence: "Silence", until: "Until",
      by: "By", rules: "Alert rules", name: "Name", kind: "Kind", scope: "Scope",
      enabled: "Enabled", newRule: "New rule", params: "Parameters (JSON)",
      for_s: "For (s)", repeat_s: "Remind every (s)", role: "Role", device: "Device",
      channels: "Channels", save: "Save", cancel: "Cancel", ack: "Acknowledge",
      acked: "acknowledged", expire: "Expire", edit: "Edit", disable: "Disable",
      enable: "Enable", yes: "yes", no: "no", everywhere: "every site", none: "no alerts",
      loading: "loading…", saved: "saved", editRule: "Edit rule", anyRule: "(any rule)",
      silenced: "silenced", k_peripheral: "peripheral state", k_presence: "presence",
      k_metric: "metric threshold", k_job_failure: "job failure rate",
      k_stream_stalled: "stream stalled", k_rollout_halted: "rollout halted",
      badJson: "the parameters are not valid JSON",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const dated = kf.dated;
  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }
  function button(label, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }
  function say(text, isError = false) {
    const status = document.getElementById("alerts-status");
    status.textContent = text;
    status.classList.toggle("error", isError);
  }
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");
  return { t, dated, cell, button, say };
})();
