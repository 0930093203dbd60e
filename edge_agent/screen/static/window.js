// kfleet window screen: the window's number and name, its services, the staff on duty (name,
// photo), open / paused / closed, the ticket now served and, while a ticket is served and for
// a short while after, "please rate our service" (the rating pad is asking).
"use strict";

const $ = (id) => document.getElementById(id);
const WORDS = document.body.dataset;
const NUMBER = WORDS.number;
// how long "please rate our service" stays after a served ticket is completed
const RATE_AFTER_MS = 30000;
let lastServed = "";
let rateUntil = 0;
let rateTimer = null;

function staffCard(person) {
  const li = document.createElement("li");
  li.className = "card";
  li.dataset.staff = person.staff_no;
  if (person.photo) {
    const img = document.createElement("img");
    img.src = person.photo;
    img.alt = person.name;
    li.append(img);
  }
  const name = document.createElement("p");
  name.className = "staff-name";
  name.textContent = person.name || "";
  const title = document.createElement("p");
  title.className = "staff-title";
  title.textContent = [person.title, `${WORDS.staffNo} ${person.staff_no}`].filter(Boolean).join(" · ");
  li.append(name, title);
  return li;
}

function renderStaff(win) {
  let people = win.roster;
  let heading = WORDS.roster;
  if (win.staff_no) {
    const known = win.roster.find((s) => s.staff_no === win.staff_no);
    people = [known || { staff_no: win.staff_no, name: "", title: "", photo: null }];
    heading = WORDS.onDuty;
  }
  $("staff-title").textContent = heading;
  $("staff").replaceChildren(...people.map(staffCard));
}

function renderRate(win) {
  const serving = win.serving_state === "serving" ? win.serving : "";
  const now = Date.now();
  if (lastServed && serving !== lastServed) rateUntil = now + RATE_AFTER_MS; // just completed
  lastServed = serving;
  const show = !!serving || now < rateUntil;
  $("rate").hidden = !show;
  clearTimeout(rateTimer);
  if (!serving && now < rateUntil) rateTimer = setTimeout(() => { $("rate").hidden = true; }, rateUntil - now);
}

function render(state) {
  const win = state.windows.find((w) => w.number === NUMBER);
  $("offline").hidden = state.connected;
  $("unknown").hidden = !!win;
  document.body.dataset.revision = String(state.revision);
  if (!win) return;
  $("name").textContent = win.name;
  $("status").textContent = win.status ? WORDS[win.status] : "";
  $("status").className = `status ${win.status || ""}`;
  $("serving-label").textContent = win.serving_state === "called" ? WORDS.called : WORDS.serving;
  $("ticket").textContent = win.serving || "—";
  const services = win.services.map((s) => {
    const li = document.createElement("li");
    li.textContent = s;
    return li;
  });
  $("services").replaceChildren(...services);
  renderStaff(win);
  renderRate(win);
}

$("number").textContent = fill(WORDS.windowN, { n: NUMBER });
hallLive(render, (up) => {
  if (!up) $("offline").hidden = false;
});
