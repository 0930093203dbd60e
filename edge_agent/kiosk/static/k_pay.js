// 生活缴费: a utility (水 电 气 固话) → the account number (on-screen keyboard) → the bill
// (holder and account masked) → how to pay → the QR code the citizen scans with the phone →
// paid → the receipt (补打 when it did not come out: never a second charge). The account and
// the bill stay in the agent's session; the browser sees masked values and the order's state.
"use strict";

(function () {
  const K = window.Kiosk;
  const UTILITY_ICONS = { water: "💧", power: "⚡", gas: "🔥", landline: "☎" };
  const CHANNELS = {
    alipay: { zh: "支付宝", en: "Alipay" },
    icbc: { zh: "工商银行", en: "ICBC" },
    ccb: { zh: "建设银行", en: "CCB" },
  };
  const POLL_MS = 2000;
  let options = null; // {utilities, channels, available}: nothing personal
  let gen = 0; // an answer that comes back after another render started is dropped
  const stale = (my) => my !== gen;

  let waiting = null; // the id of the order whose QR code is on the screen
  // 退出 (or the idle clear) while a QR code waits: the order is closed, nothing can be charged
  K.onClear(() => {
    if (waiting) K.api("POST", `/pay/orders/${waiting}/cancel`);
    waiting = null; options = null; gen++;
  });

  const yuan = (fen) => (fen / 100).toFixed(2);
  const say = (words) => { if (K.speak) K.speak(K.t(words)); };
  const back = () => K.el("button", { type: "button", class: "plain", onclick: () => K.back() }, K.t({ zh: "返回", en: "Back" }));
  const homeButton = () => K.el("button", { type: "button", class: "plain", id: "kp-home", onclick: () => K.home() }, K.t({ zh: "返回首页", en: "Home" }));
  const channelName = (c) => CHANNELS[c] || { zh: c, en: c };

  function errText(answer) {
    const d = answer.data || {};
    if (d.citizen_message) return K.t({ zh: d.citizen_message, en: d.citizen_message_en || d.citizen_message });
    return K.errorText(answer);
  }

  async function load(root, my) {
    if (options) return options;
    root.replaceChildren(K.message("info", { zh: "正在加载…", en: "Loading…" }));
    const answer = await K.api("GET", "/pay/options");
    if (stale(my)) return null;
    if (!answer.ok) { root.replaceChildren(K.message("error", errText(answer)), back()); return null; }
    options = answer.data;
    return options;
  }

  function utilityName(code) {
    const u = options && options.utilities.find((x) => x.code === code);
    return u ? { zh: u.name, en: u.name_en } : { zh: code, en: code };
  }

  async function renderUtilities(root) {
    const my = ++gen;
    const got = await load(root, my);
    if (!got || stale(my)) return;
    if (!got.available || !got.channels.length) {
      root.replaceChildren(K.message("warn", { zh: "生活缴费暂未开通，请到营业厅缴费。", en: "Bill payment is not available here yet. Please pay at the company's office." }), back());
      return;
    }
    root.replaceChildren(K.el("ul", { class: "tiles" }, got.utilities.map((u) =>
      K.el("li", {}, K.el("button", { type: "button", class: "tile", "data-utility": u.code, onclick: () => K.go("pay-account", { utility: u.code }) },
        K.el("span", { class: "icon", "aria-hidden": "true" }, UTILITY_ICONS[u.code] || "▣"), K.t({ zh: u.name, en: u.name_en }))))));
  }

  async function renderAccount(root, params) {
    const my = ++gen;
    if (!(await load(root, my)) || stale(my)) return;
    const name = utilityName(params.utility);
    K.title({ zh: `${name.zh}：请输入户号`, en: `${name.en}: type the account number` });
    const status = K.el("div", { id: "kp-status", "aria-live": "polite" });
    const input = K.el("input", { id: "kp-account", name: "account", autocomplete: "off", maxlength: "20", oninput: () => { K.dirty = true; } });
    if (K.keyboard) K.keyboard(input, "alnum");
    const ask = async () => {
      const account = input.value.trim();
      status.replaceChildren(K.message("info", { zh: "正在查询账单…", en: "Looking up the bill…" }));
      const answer = await K.api("POST", "/pay/bills/" + params.utility, { account });
      if (stale(my)) return;
      if (!answer.ok) { status.replaceChildren(K.message("error", errText(answer))); return; }
      K.go("pay-bill", { utility: params.utility, bill: answer.data });
    };
    root.replaceChildren(status,
      K.el("div", { class: "kp-form" }, K.el("label", { for: "kp-account" }, K.t({ zh: "户号（见缴费通知单）", en: "Account number (on your bill)" })), input),
      K.el("div", { class: "kp-actions" }, K.el("button", { type: "button", class: "big", id: "kp-query", onclick: ask }, K.t({ zh: "查询账单", en: "Look up the bill" }))),
      back());
    input.focus();
  }

  function billList(bill) {
    const rows = [
      [{ zh: "收费单位", en: "Company" }, bill.company],
      [{ zh: "户号", en: "Account" }, bill.account_masked],
      [{ zh: "户名", en: "Holder" }, bill.holder_masked],
      [{ zh: "账期", en: "Period" }, bill.period],
    ];
    return K.el("dl", { class: "kp-bill" }, rows.flatMap(([label, value]) => [K.el("dt", {}, K.t(label)), K.el("dd", {}, value)]),
      K.el("dt", {}, K.t({ zh: "应缴金额", en: "Amount due" })), K.el("dd", { class: "kp-amount", id: "kp-amount" }, "¥" + yuan(bill.amount_fen)));
  }

  async function renderBill(root, params) {
    const my = ++gen;
    const got = await load(root, my);
    if (!got || stale(my)) return;
    const name = utilityName(params.utility);
    K.title({ zh: `${name.zh}：核对账单并选择支付方式`, en: `${name.en}: check the bill and choose how to pay` });
    const status = K.el("div", { id: "kp-status", "aria-live": "polite" });
    const pay = async (channel) => {
      status.replaceChildren(K.message("info", { zh: "正在生成付款码…", en: "Making the payment code…" }));
      const answer = await K.api("POST", "/pay/orders", { channel });
      if (stale(my)) return;
      if (answer.ok) { K.go("pay-qr", { utility: params.utility, order: answer.data }); return; }
      status.replaceChildren(K.message("error", errText(answer)));
      if (answer.data && answer.data.code === "bill_changed") {
        status.append(K.el("button", { type: "button", class: "big", id: "kp-requery", onclick: () => requery(root, params, status, my) }, K.t({ zh: "查看新账单", en: "See the new bill" })));
      }
    };
    const choices = got.channels.map((c) => K.el("button", { type: "button", class: "big kp-channel", "data-channel": c, onclick: () => pay(c) }, K.t(channelName(c))));
    root.replaceChildren(status, billList(params.bill), K.el("h2", {}, K.t({ zh: "请选择支付方式", en: "Choose how to pay" })), K.el("div", { class: "kp-actions" }, choices), back());
  }

  async function requery(root, params, status, my) {
    // no account sent: the agent asks again for the account it holds in the session
    const answer = await K.api("POST", "/pay/bills/" + params.utility, {});
    if (stale(my)) return;
    if (!answer.ok) { status.replaceChildren(K.message("error", errText(answer))); return; }
    renderBill(root, { ...params, bill: answer.data });
  }

  function remaining(order) {
    return Math.max(0, Math.round((new Date(order.expires_at).getTime() - Date.now()) / 1000));
  }

  async function renderQr(root, params) {
    const my = ++gen;
    const order = params.order;
    K.dirty = true;
    K.title({ zh: "请用手机扫码支付", en: "Scan the code with your phone to pay" });
    say({ zh: "请用手机扫描屏幕上的二维码完成支付", en: "Scan the code on the screen with your phone to pay" });
    const status = K.el("div", { id: "kp-status", "aria-live": "polite" });
    const left = K.el("p", { class: "kp-left", id: "kp-left" });
    const cancel = async () => {
      const answer = await K.api("POST", `/pay/orders/${order.id}/cancel`);
      if (stale(my)) return;
      if (answer.ok) waiting = null;
      if (answer.ok && answer.data.state === "paid") { K.go("pay-done", { order: answer.data }); return; }
      if (!answer.ok) { status.replaceChildren(K.message("error", errText(answer))); return; }
      gen++;
      root.replaceChildren(K.message("info", { zh: "已取消支付，未扣款。", en: "Payment cancelled: nothing was charged." }), homeButton());
    };
    root.replaceChildren(status,
      K.el("div", { class: "kp-qr-box" },
        K.el("img", { class: "kp-qr", id: "kp-qr", src: `/kiosk/api/pay/orders/${order.id}/qr.svg`, width: "320", height: "320", alt: K.t({ zh: "付款二维码", en: "Payment QR code" }) }),
        K.el("p", { class: "kp-amount" }, K.t({ zh: "支付金额 ", en: "Amount " }) + "¥" + yuan(order.amount_fen)),
        K.el("p", {}, K.t({ zh: "支付方式：", en: "Paying with " }) + K.t(channelName(order.channel))), left),
      K.el("div", { class: "kp-actions" }, K.el("button", { type: "button", class: "plain", id: "kp-cancel", onclick: cancel }, K.t({ zh: "取消支付", en: "Cancel" }))));
    waiting = order.id;
    const tick = async () => {
      if (stale(my)) return; // 首页 or a language change: a clear still cancels it
      // the citizen is busy on the phone, not on the screen: the QR keeps the kiosk awake
      // until the order is paid or closed (its own timeout), as the idle timer would not
      document.dispatchEvent(new Event("pointerdown"));
      left.textContent = K.t({ zh: `请在 ${remaining(order)} 秒内完成支付`, en: `Pay within ${remaining(order)} seconds` });
      const answer = await K.api("GET", `/pay/orders/${order.id}`);
      if (stale(my)) return;
      if (answer.ok && answer.data.state !== "waiting") waiting = null;
      if (answer.ok && answer.data.state === "paid") { K.go("pay-done", { order: answer.data }); return; }
      if (answer.ok && answer.data.state === "closed") {
        gen++;
        root.replaceChildren(K.message("warn", { zh: "支付超时，订单已关闭，未扣款。如需缴费请重新操作。", en: "The time to pay ran out: the order is closed and nothing was charged. Start again to pay." }), homeButton());
        return;
      }
      setTimeout(tick, POLL_MS);
    };
    tick();
  }

  async function printReceipt(order, status, my) {
    status.replaceChildren(K.message("info", { zh: "正在打印凭条…", en: "Printing the receipt…" }));
    const answer = await K.api("POST", `/pay/orders/${order.id}/receipt`);
    if (stale(my)) return;
    status.replaceChildren(answer.ok
      ? K.message("ok", { zh: "正在打印，请取走缴费凭条。如未取到凭条，请点“补打凭条”。", en: "Printing: please take your receipt. If none came out, tap Reprint." })
      : K.message("error", errText(answer)));
  }

  function renderDone(root, params) {
    const my = ++gen;
    const order = params.order;
    K.title({ zh: "缴费成功", en: "Paid" });
    say({ zh: "缴费成功，请取走凭条", en: "Paid. Please take your receipt" });
    const status = K.el("div", { id: "kp-status", "aria-live": "polite" });
    root.replaceChildren(
      K.message("ok", { zh: `已成功缴纳 ¥${yuan(order.amount_fen)}`, en: `Paid ¥${yuan(order.amount_fen)}` }),
      K.el("dl", { class: "kp-bill" },
        K.el("dt", {}, K.t({ zh: "收费单位", en: "Company" })), K.el("dd", {}, order.company),
        K.el("dt", {}, K.t({ zh: "户号", en: "Account" })), K.el("dd", {}, order.account_masked),
        K.el("dt", {}, K.t({ zh: "订单号", en: "Order" })), K.el("dd", {}, order.out_trade_no)),
      status,
      K.el("div", { class: "kp-actions" },
        K.el("button", { type: "button", class: "big", id: "kp-reprint", onclick: () => printReceipt(order, status, my) }, K.t({ zh: "补打凭条", en: "Reprint" })),
        homeButton()));
    if (!order.receipt_prints) printReceipt(order, status, my);
  }

  K.screen({ id: "pay", order: 40, network: true, tile: { zh: "生活缴费", en: "Pay bills", icon: "💡" }, title: { zh: "生活缴费：请选择缴费项目", en: "Pay bills: choose a bill" }, render: renderUtilities });
  K.screen({ id: "pay-account", title: { zh: "生活缴费", en: "Pay bills" }, render: renderAccount });
  K.screen({ id: "pay-bill", title: { zh: "生活缴费", en: "Pay bills" }, render: renderBill });
  K.screen({ id: "pay-qr", title: { zh: "扫码支付", en: "Scan to pay" }, render: renderQr });
  K.screen({ id: "pay-done", title: { zh: "缴费成功", en: "Paid" }, render: renderDone });
})();
