// kfleet screen: a clock, the device's connection to the fleet and its peripherals' state.
// Polls the agent every 2 s; the words come from the agent (zh-CN, or English with ?lang=en).
// If the agent cannot be reached the page says so and keeps trying; it never throws.
"use strict";

const LANG = document.documentElement.lang === "en" ? "en" : "zh-CN";
const WORDS = document.body.dataset;
const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);

function tick() {
  const now = new Date();
  $("clock").textContent = now.toLocaleTimeString(LANG, { hour12: false });
  $("clock").dateTime = now.toISOString();
  $("date").textContent = now.toLocaleDateString(LANG, {
    year: "numeric", month: "long", day: "numeric", weekday: "long",
  });
}

function showLink(state) {
  $("link").className = `link ${state}`;
  $("link").textContent = WORDS[state];
}

function render(status) {
  showLink(status.connected ? "online" : "offline");
  const items = status.peripherals.map((p) => {
    const li = document.createElement("li");
    li.className = `peripheral ${p.health}`;
    li.dataset.peripheral = p.id;
    li.textContent = p.text;
    return li;
  });
  $("peripherals").replaceChildren(...items);
  $("notice").hidden = true;
}

function unreachable() {
  showLink("offline");
  $("peripherals").replaceChildren();
  $("notice").textContent = WORDS.unreachable;
  $("notice").hidden = false;
}

async function refresh() {
  try {
    const url = `/api/v1/screen/status?lang=${encodeURIComponent(LANG)}`;
    const r = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    render(await r.json());
  } catch {
    unreachable();
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

tick();
setInterval(tick, 1000);
refresh();
