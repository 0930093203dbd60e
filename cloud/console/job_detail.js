// kfleet console, jobs page: one job in detail — state, target, timeline
// (GET /api/v1/jobs/{id}/events), parameters, result, and what it produced shown inline
// (GET /api/v1/jobs/{id}/attachments/{role}: a scan's JPEG and PDF, a snapshot, a receipt's
// proof PNG — what the paper showed, drawn by the cloud from the bytes printed). Someone
// with jobs.write may cancel a pending job.
"use strict";

const jobDetail = (() => {
  const { t, dated, el, badge } = jobsUi;
  const $ = (id) => document.getElementById(id);
  //: states in which a cancel can still stop the job before its side effect
  const PENDING = ["queued", "dispatched", "accepted"];

  function say(text, isError = false) {
    $("job-status").textContent = text;
    $("job-status").classList.toggle("error", isError);
  }

  function attachmentUrl(job, role) {
    return `/api/v1/jobs/${encodeURIComponent(job.id)}/attachments/${encodeURIComponent(role)}`;
  }

  function image(job, role, caption, cls) {
    const img = el("img", { src: attachmentUrl(job, role), alt: caption, loading: "eager" });
    img.dataset.role = role;
    return el("figure", { class: "attachment " + cls, "data-role": role }, img, el("figcaption", {}, caption));
  }

  function pdfLink(job) {
    const a = el("a", { href: attachmentUrl(job, "pdf"), target: "_blank", rel: "noopener" }, t("openPdf"));
    a.dataset.role = "pdf";
    return el("p", { class: "attachment pdf", "data-role": "pdf" }, t("scanPdf") + ": ", a);
  }

  // What the job produced, by the roles its result names; a proof that was not kept says why.
  function attachments(job) {
    const box = $("job-attachments");
    box.replaceChildren();
    const result = job.result || {};
    const roles = new Set((result.blobs || []).map((b) => b.role));
    // the PNG an older agent uploaded, or the printed bytes the cloud draws on first view
    const printed = result.proof && typeof result.proof.escpos_sha256 === "string";
    if (roles.has("proof") || printed) box.append(image(job, "proof", t("proof"), "receipt-proof"));
    if (roles.has("jpeg")) {
      const caption = job.kind === "snapshot" ? t("snapshotJpeg") : t("scanJpeg");
      box.append(image(job, "jpeg", caption, "capture"));
    }
    if (roles.has("pdf")) box.append(pdfLink(job));
    for (const role of roles) {
      if (["proof", "escpos", "jpeg", "pdf"].includes(role)) continue;
      box.append(el("p", {}, el("a", { href: attachmentUrl(job, role) }, role)));
    }
    if (result.proof_error) {
      box.append(el("p", { class: "proof-error", role: "note" }, t("proofError") + ": " + result.proof_error));
    }
    if (box.childElementCount) box.prepend(el("h3", {}, t("attachments")));
  }

  function summary(job) {
    const target = job.target.device_id ? job.target.device_id : job.target.site;
    const rows = [
      [t("state"), badge(job.state)],
      [t("target"), target + (job.device_id && job.device_id !== target ? " → " + job.device_id : "")],
      [t("siteOf"), job.site],
      [t("attempts"), `${job.attempts} / ${job.max_attempts}`],
      [t("created"), dated(job.created_at)],
      [t("updatedAt"), dated(job.updated_at)],
      [t("expiresAt"), dated(job.expires_at)],
    ];
    if (job.reason || job.message) rows.push([t("reason"), [job.reason, job.message].filter(Boolean).join(" — ")]);
    const dl = el("dl", { class: "job-facts" });
    for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {}, v));
    $("job-summary").replaceChildren(dl);
  }

  function timeline(events) {
    $("job-events").replaceChildren(...events.map((e) => el(
      "li", { "data-to": e.to_state },
      el("span", { class: "time" }, dated(e.at)), " ",
      e.from_state ? badge(e.from_state) : "", e.from_state ? " → " : "", badge(e.to_state),
      ` · ${t(e.source)}` + (e.device_id ? ` · ${e.device_id}` : "") +
        (e.reason ? ` · ${e.reason}` : "") + (e.message ? ` — ${e.message}` : ""),
    )));
  }

  function cancelButton(job, me) {
    if (!(me.permissions || []).includes("jobs.write") || !PENDING.includes(job.state)) return;
    const button = el("button", { type: "button", id: "job-cancel" }, t("cancel"));
    button.addEventListener("click", async () => {
      button.disabled = true;
      say(t("canceling"));
      try {
        const r = await kf.api(`/api/v1/jobs/${job.id}/cancel`, { method: "POST", raw: true });
        const body = await r.json().catch(() => null);
        if (!r.ok) throw new Error((body && body.message) || r.status + " " + r.statusText);
        await show(job.id, me);
        say(r.status === 202 ? t("cancelAsked") : t("canceledNow"));
      } catch (err) {
        button.disabled = false;
        say(err.message, true);
      }
    });
    $("job-summary").append(button);
  }

  async function show(id, me) {
    say(t("loading"));
    const [job, events] = await Promise.all([
      kf.api(`/api/v1/jobs/${encodeURIComponent(id)}`),
      kf.api(`/api/v1/jobs/${encodeURIComponent(id)}/events`),
    ]);
    $("job-detail").dataset.job = job.id;
    $("job-detail").dataset.state = job.state;
    $("job-title").textContent = `${t(job.kind)} · ${job.id}`;
    summary(job);
    cancelButton(job, me);
    attachments(job);
    timeline(events);
    $("job-params").textContent = JSON.stringify(job.params, null, 2);
    $("job-result").textContent = job.result ? JSON.stringify(job.result, null, 2) : t("noResult");
    say("");
  }

  return { show, say };
})();
