// kfleet console: the kiosks' utility-bill orders (生活缴费) from GET /api/v1/pay/orders —
// newest first, filtered by state, utility and site subtree; one order's notifications (each
// with its outcome: applied, repeat, late, forged...) and refunds; a refund of a paid order
// (POST .../refunds, payments.refund). Accounts are masked. Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "生活缴费订单与退款", state: "状态", any: "全部", utility: "缴费项目", site: "站点（含下级）",
      show: "查看", created: "下单时间", order: "订单号", account: "户号", amount: "金额（元）",
      channel: "渠道", flag: "标记", actions: "操作", details: "详情", notifications: "支付通知",
      refunds: "退款", refundAmount: "退款金额（元）", reason: "退款原因", refund: "退款",
      s_waiting: "待支付", s_paid: "已支付", s_closed: "已关闭", s_refunded: "已退款",
      u_water: "水费", u_power: "电费", u_gas: "燃气费", u_landline: "固话费",
      total: "共", none: "没有符合条件的订单", refunded: "退款成功", device: "终端",
      paidAmount: "实付（元）", refundedAmount: "已退（元）", writeback: "销账", trade: "渠道交易号",
      noNotes: "尚无通知", noRefunds: "尚无退款", confirm: "确认退款",
    },
    en: {
      title: "Utility payments and refunds", state: "State", any: "All", utility: "Bill",
      site: "Site (and below)", show: "Show", created: "Ordered", order: "Order", account: "Account",
      amount: "Amount (yuan)", channel: "Channel", flag: "Flag", actions: "Actions",
      details: "Details", notifications: "Notifications", refunds: "Refunds",
      refundAmount: "Refund (yuan)", reason: "Reason", refund: "Refund",
      s_waiting: "waiting", s_paid: "paid", s_closed: "closed", s_refunded: "refunded",
      u_water: "water", u_power: "electricity", u_gas: "gas", u_landline: "landline",
      total: "Total", none: "no orders match", refunded: "refunded", device: "Kiosk",
      paidAmount: "Paid (yuan)", refundedAmount: "Refunded (yuan)", writeback: "Write-back",
      trade: "Channel trade", noNotes: "no notifications yet", noRefunds: "no refunds yet",
      confirm: "Confirm the refund",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const yuan = (fen) => (fen / 100).toFixed(2);
  const form = $("pay-filters");
  const status = $("pay-status");
  let current = null;

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = String(text);
    return td;
  }

  function orderRow(o) {
    const tr = document.createElement("tr");
    tr.dataset.order = o.id;
    tr.append(cell(kf.dated(o.created_at)), cell(o.out_trade_no),
      cell(t("u_" + o.utility)), cell(o.account_masked), cell(yuan(o.amount_fen)), cell(o.channel),
      cell(t("s_" + o.state)), cell(o.flag));
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = t("details");
    open.addEventListener("click", () => detail(o.id));
    const td = document.createElement("td");
    td.append(open);
    tr.append(td);
    return tr;
  }

  function item(text) {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }

  function facts(o) {
    const rows = [[t("state"), t("s_" + o.state) + (o.flag ? ` (${o.flag})` : "")], [t("utility"), t("u_" + o.utility)],
      [t("account"), o.account_masked], [t("amount"), yuan(o.amount_fen)], [t("paidAmount"), yuan(o.paid_amount_fen)],
      [t("refundedAmount"), yuan(o.refunded_fen)], [t("channel"), o.channel], [t("trade"), o.trade_no],
      [t("writeback"), o.writeback], [t("device"), `${o.device_id} · ${o.site}`], [t("created"), kf.dated(o.created_at)]];
    return rows.flatMap(([k, v]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = String(v ?? "");
      return [dt, dd];
    });
  }

  function renderDetail(o) {
    if (!current || current.id !== o.id) $("pay-refund-status").textContent = "";
    current = o;
    $("pay-detail").hidden = false;
    $("pay-detail-title").textContent = `${t("order")} ${o.out_trade_no}`;
    $("pay-detail-facts").replaceChildren(...facts(o));
    $("pay-notes").replaceChildren(...(o.notifications.length
      ? o.notifications.map((n) => item(`${kf.dated(n.at)} · ${n.outcome} · ${n.notify_id || "—"} · ${n.source_ip}`))
      : [item(t("noNotes"))]));
    $("pay-refunds").replaceChildren(...(o.refunds.length
      ? o.refunds.map((r) => item(`${kf.dated(r.at)} · ${r.out_refund_no} · ${yuan(r.amount_fen)} · ${r.state} · ${r.reason} · ${r.actor}`))
      : [item(t("noRefunds"))]));
    $("pay-refund-form").hidden = o.state !== "paid";
    $("pay-refund-form").elements.amount.value = yuan(o.paid_amount_fen - o.refunded_fen);
  }

  async function detail(id) {
    try {
      renderDetail(await kf.api(`/api/v1/pay/orders/${id}`));
    } catch (err) {
      say(err.message, true);
    }
  }

  function params(data) {
    const p = new URLSearchParams();
    for (const key of ["state", "utility", "site"]) {
      const value = String(data.get(key) || "").trim();
      if (value) p.set(key, value);
    }
    return p;
  }

  async function show(p) {
    try {
      const page = await kf.api(`/api/v1/pay/orders?${p}`);
      $("pay-rows").replaceChildren(...page.orders.map(orderRow));
      say(page.total ? `${t("total")} ${page.total}` : t("none"));
    } catch (err) {
      say(err.message, true);
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    show(params(new FormData(form)));
  });

  $("pay-refund-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(ev.target);
    const [whole, cents = ""] = String(data.get("amount")).trim().split(".");
    const body = { amount_fen: Number(whole) * 100 + Number(cents.padEnd(2, "0") || 0), reason: String(data.get("reason")).trim() };
    const said = $("pay-refund-status");
    try {
      renderDetail(await kf.api(`/api/v1/pay/orders/${current.id}/refunds`, { method: "POST", body }));
      said.textContent = t("refunded");
      said.classList.remove("error");
      show(params(new FormData(form)));
    } catch (err) {
      said.textContent = err.message;
      said.classList.add("error");
    }
  });

  kf.start().then(() => show(params(new FormData(form)))).catch((err) => say(err.message, true));
})();
