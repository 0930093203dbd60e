// kfleet console: payment reconciliation (支付对账) from /api/v1/pay/reconciliations — the
// runs per channel and day (clean, mismatch, failed), each run's differences, and a run on
// demand for a finished day. Amounts are fen on the wire, shown in yuan. zh-CN, ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "支付对账", channel: "支付渠道", all: "全部", day: "对账日期", list: "查看记录",
      run: "立即对账", runs: "对账记录", state: "结果", matched: "一致", mismatched: "差异",
      ledgerNet: "本系统净额", statementNet: "对账单净额", ranAt: "对账时间", trigger: "方式",
      differences: "差异明细", outcome: "差异类型", order: "商户订单号", kind: "类型",
      refundNo: "退款单号", ledger: "本系统金额", statement: "对账单金额", tradeNo: "银行流水号",
      none: "没有对账记录", needDay: "请选择要对账的日期", running: "正在对账…",
      s_clean: "一致", s_mismatch: "有差异", s_failed: "失败", t_daily: "每日自动", t_manual: "手动",
      k_pay: "支付", k_refund: "退款", c_alipay: "支付宝", c_icbc: "工商银行", c_ccb: "建设银行",
      o_amount_differs: "金额不一致", o_state_differs: "状态不一致",
      o_missing_in_statement: "对账单缺少（本系统有）", o_missing_in_ledger: "本系统缺少（银行有）",
      noDiff: "没有差异", done: "对账完成",
    },
    en: {
      title: "Payment reconciliation", channel: "Channel", all: "All", day: "Day", list: "Show runs",
      run: "Reconcile now", runs: "Runs", state: "Result", matched: "Matched",
      mismatched: "Differences", ledgerNet: "Our net", statementNet: "Statement net",
      ranAt: "Ran at", trigger: "How", differences: "Differences", outcome: "Difference",
      order: "Order number", kind: "Kind", refundNo: "Refund number", ledger: "Our amount",
      statement: "Statement amount", tradeNo: "Bank serial", none: "no runs",
      needDay: "Choose the day to reconcile", running: "Reconciling…",
      s_clean: "clean", s_mismatch: "differences", s_failed: "failed", t_daily: "daily",
      t_manual: "manual", k_pay: "payment", k_refund: "refund", c_alipay: "Alipay",
      c_icbc: "ICBC", c_ccb: "CCB", o_amount_differs: "amount differs",
      o_state_differs: "state differs", o_missing_in_statement: "missing in the statement",
      o_missing_in_ledger: "missing in our orders", noDiff: "no differences", done: "Reconciled",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const form = $("rc-filters");
  const status = $("rc-status");

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  const say = (text, isError = false) => {
    status.textContent = text;
    status.classList.toggle("error", isError);
  };
  const yuan = (fen) => (fen === null || fen === undefined ? "—" : `¥${(fen / 100).toFixed(2)}`);

  function row(cells, attrs = {}) {
    const tr = document.createElement("tr");
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
    for (const cell of cells) {
      const td = document.createElement("td");
      if (cell instanceof Node) td.append(cell); else td.textContent = String(cell);
      tr.append(td);
    }
    return tr;
  }

  function showDetail(run) {
    $("rc-detail").hidden = false;
    $("rc-detail-title").textContent = `${t("differences")} · ${t("c_" + run.channel)} ${run.day}`;
    $("rc-error").textContent = run.error || "";
    $("rc-item-rows").replaceChildren(...(run.items.length ? run.items.map((i) => row(
      [t("o_" + i.outcome), i.out_trade_no, t("k_" + i.kind), i.out_refund_no || "—",
        yuan(i.ledger_fen), yuan(i.statement_fen), i.trade_no || "—"],
      { "data-outcome": i.outcome, "data-order": i.out_trade_no },
    )) : [row([t("noDiff")])]));
  }

  async function open(id) {
    try {
      showDetail(await kf.api(`/api/v1/pay/reconciliations/${encodeURIComponent(id)}`));
    } catch (err) {
      say(err.message, true);
    }
  }

  function renderRuns(overview) {
    const select = $("rc-channel");
    if (select.options.length === 1) {
      for (const name of overview.channels) select.append(new Option(t("c_" + name), name));
    }
    $("rc-run-rows").replaceChildren(...overview.runs.map((r) => {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "link";
      link.textContent = t("s_" + r.state);
      link.addEventListener("click", () => open(r.id));
      return row(
        [r.day, t("c_" + r.channel), link, r.matched, r.mismatched, yuan(r.ledger_net_fen),
          yuan(r.statement_net_fen), kf.dated(r.ran_at), t("t_" + r.trigger)],
        { "data-run": r.id, "data-state": r.state },
      );
    }));
    if (!overview.runs.length) say(t("none"));
  }

  async function list() {
    const p = new URLSearchParams();
    const data = new FormData(form);
    if (data.get("channel")) p.set("channel", data.get("channel"));
    if (data.get("day")) { p.set("start", data.get("day")); p.set("end", data.get("day")); }
    try {
      renderRuns(await kf.api(`/api/v1/pay/reconciliations?${p}`));
    } catch (err) {
      say(err.message, true);
    }
  }

  async function runNow() {
    const data = new FormData(form);
    const day = data.get("day");
    const channel = data.get("channel");
    if (!day || !channel) { say(t("needDay") + (channel ? "" : ` · ${t("channel")}`), true); return; }
    say(t("running"));
    try {
      const run = await kf.api("/api/v1/pay/reconciliations", {
        method: "POST", body: { channel, day },
      });
      say(`${t("done")}: ${t("s_" + run.state)}`);
      showDetail(run);
      await list();
    } catch (err) {
      say(err.message, true);
    }
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); runNow(); });
  $("rc-list").addEventListener("click", list);
  kf.start().then(list).catch((err) => say(err.message, true));
})();
