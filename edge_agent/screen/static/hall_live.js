// kfleet hall screens: the live stream from the agent (server-sent events).
// The agent pushes the whole screen state on connecting and at every change; the page
// renders it. EventSource reconnects by itself after a lost stream (the agent says "retry:
// 1000"); if the browser gives up (the agent answered with an error), we open a new one.
"use strict";

// eslint-disable-next-line no-unused-vars
function hallLive(onState, onLink) {
  const lang = document.documentElement.lang === "en" ? "en" : "zh-CN";
  const url = `/api/v1/screen/hall/events?lang=${encodeURIComponent(lang)}`;
  function open() {
    const source = new EventSource(url);
    source.addEventListener("content", (event) => {
      let state;
      try {
        state = JSON.parse(event.data);
      } catch {
        return; // a damaged message: the next one (at the latest the heartbeat) repairs it
      }
      onLink(true);
      onState(state);
    });
    source.onerror = () => {
      onLink(false);
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(open, 2000);
      }
    };
  }
  open();
}

// eslint-disable-next-line no-unused-vars
function hallClock(el) {
  const lang = document.documentElement.lang === "en" ? "en" : "zh-CN";
  const tick = () => {
    const now = new Date();
    el.textContent = now.toLocaleTimeString(lang, { hour12: false });
    el.dateTime = now.toISOString();
  };
  tick();
  setInterval(tick, 1000);
}

// eslint-disable-next-line no-unused-vars
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}
