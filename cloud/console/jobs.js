// kfleet console, jobs page: the jobs of the signed-in person's subtree, newest first
// (GET /api/v1/jobs with site/device/kind/state/from/to filters, paged by offset). The filters
// and the open job live in the URL (/jobs?state=failed&id=…), so a view can be shared and the
// browser's back button works; a row opens the job's detail (job_detail.js).
"use strict";

(() => {
  const { t, dated, el, badge, pageUrl } = jobsUi;
  const $ = (id) => document.getElementById(id);
  const form = $("jobs-filters");
  const LIMIT = 50;
  const FILTERS = ["site", "device", "kind", "state", "from", "to"];
  let me = null;

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  function say(text, isError = false) {
    $("jobs-status").textContent = text;
    $("jobs-status").classList.toggle("error", isError);
  }

  // datetime-local shows local time; the URL and the API carry ISO 8601 with its zone
  const toLocalInput = (iso) => {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  };

  function filtersFromUrl() {
    const q = new URLSearchParams(location.search);
    for (const name of FILTERS) {
      const value = q.get(name) || "";
      form.elements[name].value = name === "from" || name === "to" ? (value ? toLocalInput(value) : "") : value;
    }
    return { q, offset: Math.max(0, parseInt(q.get("offset") || "0", 10) || 0), id: q.get("id") };
  }

  function filtersFromForm() {
    const p = {};
    for (const name of FILTERS) {
      const value = String(form.elements[name].value).trim();
      if (value) p[name] = name === "from" || name === "to" ? new Date(value).toISOString() : value;
    }
    return p;
  }

  function go(params, push = true) {
    const url = pageUrl(params);
    if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
    route();
  }

  function row(job, params) {
    const open = el("a", { href: pageUrl({ ...params, id: job.id }) }, dated(job.created_at));
    open.addEventListener("click", (e) => { e.preventDefault(); go({ ...params, id: job.id }); });
    const target = job.device_id || job.target.device_id || "—";
    const said = [job.reason, job.message].filter(Boolean).join(" — ");
    return el(
      "tr", { "data-id": job.id, "data-kind": job.kind, "data-state": job.state },
      el("td", { class: "time" }, open), el("td", {}, t(job.kind)), el("td", {}, badge(job.state)),
      el("td", {}, job.site), el("td", {}, target), el("td", { class: "message" }, said),
    );
  }

  async function list(params, offset) {
    say(t("loading"));
    const q = new URLSearchParams({ ...params, limit: String(LIMIT), offset: String(offset) });
    const page = await kf.api("/api/v1/jobs?" + q.toString());
    $("jobs-rows").replaceChildren(...page.items.map((j) => row(j, params)));
    const last = offset + page.items.length;
    $("jobs-range").textContent = page.total ? `${offset + 1}–${last} ${t("of")} ${page.total}` : "";
    $("jobs-prev").disabled = offset === 0;
    $("jobs-next").disabled = last >= page.total;
    $("jobs-prev").onclick = () => go({ ...params, offset: String(Math.max(0, offset - LIMIT)) });
    $("jobs-next").onclick = () => go({ ...params, offset: String(offset + LIMIT) });
    say(page.total === 0 ? t("none") : "");
  }

  // Show what the URL says: one job's detail, or the filtered list.
  async function route() {
    const { q, offset, id } = filtersFromUrl();
    const params = {};
    for (const name of FILTERS) if (q.get(name)) params[name] = q.get(name);
    $("job-back").href = pageUrl(params);
    $("jobs-list").hidden = Boolean(id);
    $("job-detail").hidden = !id;
    try {
      if (id) await jobDetail.show(id, me);
      else await list(params, offset);
    } catch (err) {
      (id ? jobDetail.say : say)(err.message, true);
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); go(filtersFromForm()); });
  $("job-back").addEventListener("click", (e) => {
    e.preventDefault();
    history.pushState(null, "", $("job-back").href);
    route();
  });
  window.addEventListener("popstate", route);
  kf.start().then((who) => { me = who; return route(); }).catch((err) => say(err.message, true));
})();
