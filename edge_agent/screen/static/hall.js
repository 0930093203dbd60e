// kfleet hall screen: now calling (big, ticket → window), the floor plan with "you are here"
// and where each window is, waiting counts per queue. Each new call or recall chimes (a tone
// made with WebAudio) and is spoken in Mandarin when the browser has a zh-CN voice.
"use strict";

const $ = (id) => document.getElementById(id);
const WORDS = document.body.dataset;
const SHOWN_CALLS = 8;
let heard = new Set(); // calls already announced (ticket|window|recall|called_at)
let firstState = true;
let streamUp = false;
let fleetUp = true;
let announced = 0;
let audio = null;

function showLink() {
  $("offline").hidden = streamUp && fleetUp;
}

function chime() {
  try {
    audio = audio || new AudioContext();
    const t0 = audio.currentTime + 0.05;
    [[880, 0], [659.25, 0.4]].forEach(([freq, dt]) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + dt);
      gain.gain.exponentialRampToValueAtTime(0.5, t0 + dt + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + dt + 0.7);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0 + dt);
      osc.stop(t0 + dt + 0.75);
    });
  } catch {
    // no audio device: the screen still shows the call
  }
}

function zhVoice() {
  if (!("speechSynthesis" in window)) return null;
  const voices = window.speechSynthesis.getVoices();
  return voices.find((v) => /^zh[-_]CN/i.test(v.lang)) || voices.find((v) => /^zh/i.test(v.lang)) || null;
}

function speak(text) {
  const voice = zhVoice();
  if (!voice) return false;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.voice = voice;
  utterance.lang = "zh-CN";
  utterance.rate = 0.9;
  window.speechSynthesis.speak(utterance);
  return true;
}

function announce(call) {
  const text = fill(WORDS.callSpeech, { ticket: call.ticket, window: call.window });
  announced += 1;
  document.body.dataset.announced = String(announced);
  document.body.dataset.lastCall = text;
  chime();
  setTimeout(() => {
    document.body.dataset.spoken = speak(text) ? "yes" : "no-voice";
  }, 1200);
}

function renderCalls(calls) {
  const keys = calls.map((c) => `${c.ticket}|${c.window}|${c.recall}|${c.called_at}`);
  // oldest first, so that two calls in one push are announced in the order they were made
  for (let i = calls.length - 1; i >= 0; i -= 1) {
    if (!heard.has(keys[i]) && !firstState) announce(calls[i]);
  }
  heard = new Set(keys); // a call that left the list never comes back (it has its own time)
  const current = calls[0];
  $("current").hidden = !current;
  $("no-calls").hidden = !!current;
  $("current-ticket").textContent = current ? current.ticket : "";
  $("current-window").textContent = current ? fill(WORDS.windowN, { n: current.window }) : "";
  const rows = calls.slice(1, SHOWN_CALLS).map((c) => {
    const tr = document.createElement("tr");
    const ticket = document.createElement("td");
    const to = document.createElement("td");
    ticket.textContent = c.ticket;
    to.textContent = fill(WORDS.windowN, { n: c.window });
    tr.append(ticket, to);
    return tr;
  });
  $("calls").replaceChildren(...rows);
}

function mark(cls, x, y, text) {
  const el = document.createElement("div");
  el.className = `mark ${cls}`;
  el.style.left = `${x * 100}%`;
  el.style.top = `${y * 100}%`;
  el.textContent = text;
  return el;
}

function renderPlan(plan, calls) {
  $("no-plan").hidden = !!(plan && plan.image);
  $("plan-stage").hidden = !(plan && plan.image);
  $("plan-title").textContent = plan ? plan.title : "";
  if (!plan || !plan.image) return;
  const img = $("plan-img");
  if (img.getAttribute("src") !== plan.image) img.src = plan.image;
  $("plan-stage").style.aspectRatio = `${plan.width} / ${plan.height}`;
  document.body.dataset.planVersion = String(plan.version);
  const calling = new Set(calls.slice(0, 1).map((c) => c.window));
  const marks = plan.areas.map((a) => {
    const el = mark("area", a.x, a.y, a.name);
    el.style.width = `${a.w * 100}%`;
    el.style.height = `${a.h * 100}%`;
    return el;
  });
  plan.windows.forEach((w) => {
    const el = mark(`window${calling.has(w.number) ? " calling" : ""}`, w.x, w.y, w.number);
    el.dataset.window = w.number;
    marks.push(el);
  });
  if (plan.here) marks.push(mark("here", plan.here.x, plan.here.y, WORDS.youAreHere));
  $("plan-marks").replaceChildren(...marks);
}

function renderQueues(queues) {
  const items = queues.map((q) => {
    const li = document.createElement("li");
    li.dataset.queue = q.code;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = q.name;
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = `${q.waiting}${WORDS.people}`;
    li.append(name, count);
    if (q.expected_wait_min !== null) {
      const wait = document.createElement("span");
      wait.className = "wait";
      wait.textContent = fill(WORDS.expected, { n: q.expected_wait_min });
      li.append(wait);
    }
    return li;
  });
  $("queues").replaceChildren(...items);
}

function render(state) {
  fleetUp = state.connected;
  showLink();
  renderCalls(state.calls);
  renderPlan(state.plan, state.calls);
  renderQueues(state.queues);
  document.body.dataset.revision = String(state.revision);
  firstState = false;
}

hallClock($("clock"));
// the browser loads its voices asynchronously: ask now, so the first call finds them
if ("speechSynthesis" in window) window.speechSynthesis.getVoices();
hallLive(render, (up) => {
  streamUp = up;
  showLink();
});
