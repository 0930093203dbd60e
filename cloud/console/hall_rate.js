// The phone rating page: pick one of five levels (reasons for the lower three), post once.
(function () {
  "use strict";
  const form = document.getElementById("rate");
  const message = document.getElementById("message");
  const reasons = document.getElementById("reasons");
  const submit = document.getElementById("submit");
  let level = null;
  if (document.body.dataset.state !== "open") return;
  form.hidden = false;

  form.querySelectorAll(".level").forEach((b) => {
    b.setAttribute("role", "radio");
    b.setAttribute("aria-checked", "false");
    b.addEventListener("click", () => {
      level = Number(b.dataset.level);
      form.querySelectorAll(".level").forEach((o) => o.setAttribute("aria-checked", String(o === b)));
      reasons.hidden = level > 3;
      if (level > 3) reasons.querySelectorAll(".chip").forEach((c) => c.setAttribute("aria-pressed", "false"));
      submit.disabled = false;
    });
  });
  reasons.querySelectorAll(".chip").forEach((c) => {
    c.setAttribute("aria-pressed", "false");
    c.addEventListener("click", () => {
      c.setAttribute("aria-pressed", String(c.getAttribute("aria-pressed") !== "true"));
    });
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (level === null) return;
    submit.disabled = true;
    const picked = [...reasons.querySelectorAll('.chip[aria-pressed="true"]')].map((c) => c.dataset.reason);
    const body = { level, reasons: level <= 3 ? picked : [], comment: document.getElementById("comment").value };
    try {
      const r = await fetch(location.pathname, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await r.json();
      message.textContent = r.ok ? data.message : data.message || "提交失败 / Failed";
      if (r.ok || r.status === 409) form.hidden = true;
      else submit.disabled = false;
    } catch (err) {
      message.textContent = "网络错误，请重试 / Network error, try again";
      submit.disabled = false;
    }
  });
})();
