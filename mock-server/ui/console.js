// The mock-server console. Everything the server sends is data: it is
// written with textContent and text nodes only, never as HTML (a journal
// entry holds whatever bytes a client sent). The admin API is the only
// back end; the event stream (/_mock/ui/events) says when to read.
"use strict";

const MAX_SHOWN = 500;
const POLL_MS = 2000;
const RESYNC_GAP_MS = 500;

const state = {
  rules: new Map(), // id -> rule (from the server's rule table)
  entries: new Map(), // seq -> journal entry
  resyncing: false,
  resyncAgain: false,
  lastResync: 0,
  skipped: 0, // entries the stream did not send (too many at once)
  clockOffsetMs: 0, // mock clock minus the local clock
};

const $ = (id) => document.getElementById(id);

// An element with attributes and children; strings become text nodes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

class Unauthorized extends Error {}

async function api(path, options) {
  const init = Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {});
  if (init.method && init.method !== "GET") {
    // Admin writes are JSON (the admin API's CSRF guard), even empty ones.
    init.headers = Object.assign({ "content-type": "application/json" }, init.headers || {});
  }
  const response = await fetch(path, init);
  if (response.status === 401) throw new Unauthorized();
  if (!response.ok) {
    let detail = `${response.status}`;
    try {
      const body = await response.json();
      detail = body.error_description || body.error || detail;
    } catch (_) { /* not JSON */ }
    throw new Error(detail);
  }
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = "status " + (kind || "");
}

// ---- journal ----

function merge(entries) {
  for (const entry of entries) state.entries.set(entry.seq, entry);
  const seqs = [...state.entries.keys()].sort((a, b) => a - b);
  for (const seq of seqs.slice(0, Math.max(0, seqs.length - MAX_SHOWN))) state.entries.delete(seq);
  renderJournal();
}

async function resync() {
  if (state.resyncing) {
    state.resyncAgain = true;
    return;
  }
  state.resyncing = true;
  try {
    const wait = state.lastResync + RESYNC_GAP_MS - Date.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));
    state.lastResync = Date.now();
    const entries = await api("/_mock/journal");
    state.entries.clear();
    state.skipped = 0;
    merge(entries);
  } catch (error) {
    handleError(error);
  } finally {
    state.resyncing = false;
    if (state.resyncAgain) {
      state.resyncAgain = false;
      resync();
    }
  }
}

function statusClass(status) {
  return "http s" + String(Math.floor(status / 100));
}

function authText(entry) {
  if (!entry.auth_method) return null;
  let text = "auth " + entry.auth_method.replaceAll("_", " ");
  if (entry.basic_decode) text += " (decode: " + entry.basic_decode.replaceAll("_", " ") + ")";
  return text;
}

function renderFinding(finding) {
  const rule = state.rules.get(finding.rule);
  const item = el("li", { class: "finding " + finding.verdict },
    el("span", { class: "verdict " + finding.verdict }, finding.verdict), " ",
    el("span", { class: "mono" }, finding.rule), " ",
    el("span", { class: "muted" }, finding.rfc + " " + finding.level), " ",
    rule ? el("span", { class: "title" }, rule.title + ": ") : null,
    el("span", { class: "reason" }, finding.reason));
  if (rule) item.title = rule.checked;
  if (rule && finding.verdict !== "pass") item.append(el("div", { class: "fix" }, "fix: " + rule.fix));
  return item;
}

function pairs(rows) {
  const table = el("table", { class: "kv mono" });
  for (const [name, value] of rows) table.append(el("tr", {}, el("td", {}, name), el("td", {}, value)));
  return table;
}

function renderEntry(entry) {
  const line = el("div", { class: "line" },
    el("span", { class: "seq" }, "#" + entry.seq),
    el("time", { class: "muted" }, entry.received_at),
    el("span", { class: "method" }, entry.method),
    el("span", { class: "path mono" }, entry.path),
    el("span", { class: statusClass(entry.status) }, String(entry.status)),
    entry.client_id !== null && entry.client_id !== undefined ? el("span", { class: "client" }, "client " + entry.client_id) : null,
    authText(entry) ? el("span", { class: "auth" }, authText(entry)) : null,
    entry.error ? el("span", { class: "bad" }, entry.error) : null,
    entry.fault ? el("span", { class: "fault" }, "fault " + entry.fault) : null);
  const article = el("article", { class: "entry", "data-seq": String(entry.seq) }, line);
  if (entry.reason) article.append(el("div", { class: "muted reason" }, "why: " + entry.reason));
  if (entry.findings.length) {
    // Failures and warnings in full; the rules passed behind one line.
    const list = el("ul", { class: "findings" });
    const order = { fail: 0, warn: 1, pass: 2 };
    const sorted = [...entry.findings].sort((a, b) => order[a.verdict] - order[b.verdict]);
    const passed = sorted.filter((finding) => finding.verdict === "pass");
    for (const finding of sorted) if (finding.verdict !== "pass") list.append(renderFinding(finding));
    if (passed.length) {
      const more = el("details", { class: "passed" },
        el("summary", {}, `${passed.length} rule${passed.length === 1 ? "" : "s"} passed`),
        el("ul", { class: "findings" }, ...passed.map(renderFinding)));
      list.append(el("li", {}, more));
    }
    article.append(list);
  }
  const details = el("details", { class: "request" }, el("summary", {}, "request"));
  details.append(el("h3", {}, "headers"), pairs(entry.headers));
  if (entry.form) details.append(el("h3", {}, "form"), pairs(entry.form));
  if (entry.client_assertion) {
    details.append(el("h3", {}, "client assertion (header and claims; the signature is never kept)"),
      el("pre", {}, JSON.stringify(entry.client_assertion, null, 2)));
  }
  if (entry.issued_token) {
    details.append(el("h3", {}, "issued access token (header and claims; the signature is never kept)"),
      el("pre", {}, JSON.stringify(entry.issued_token, null, 2)));
  }
  article.append(details);
  return article;
}

function renderJournal() {
  const journal = $("journal");
  const open = new Set([...journal.querySelectorAll("details.request[open]")].map((d) => d.closest(".entry").dataset.seq));
  const seqs = [...state.entries.keys()].sort((a, b) => b - a);
  const articles = seqs.map((seq) => {
    const article = renderEntry(state.entries.get(seq));
    if (open.has(String(seq))) article.querySelector("details.request").open = true;
    return article;
  });
  journal.replaceChildren(...articles);
  $("journal-count").textContent = state.skipped === 0
    ? `(${seqs.length})`
    : `(${seqs.length}; ${state.skipped} more went by too fast to show: GET /_mock/journal has them)`;
}

function follow() {
  const events = new EventSource("/_mock/ui/events");
  events.addEventListener("open", () => setStatus("live", "live"));
  events.addEventListener("resync", () => resync());
  events.addEventListener("entries", (event) => merge(JSON.parse(event.data)));
  events.addEventListener("skipped", (event) => { state.skipped += JSON.parse(event.data).count; });
  events.addEventListener("error", () => setStatus("reconnecting", "down"));
}

// ---- faults, clients, clock ----

async function loadFaults() {
  const rules = await api("/_mock/faults");
  const list = $("faults");
  list.replaceChildren(...rules.map((rule) => {
    const shown = Object.assign({}, rule);
    delete shown.id;
    const remove = el("button", { type: "button", class: "remove-fault", "data-id": String(rule.id) }, "Remove");
    remove.addEventListener("click", () => removeFault(rule.id));
    return el("li", { class: "mono" }, el("span", { class: "muted" }, "#" + rule.id), " ", JSON.stringify(shown), " ", remove);
  }));
  if (!rules.length) list.append(el("li", { class: "muted" }, "none queued"));
}

async function removeFault(id) {
  try {
    await api("/_mock/faults/" + encodeURIComponent(id), { method: "DELETE" });
  } catch (failure) {
    // Used up, or removed elsewhere, since the list was drawn: redraw it.
    if (failure instanceof Unauthorized || failure.message !== "not_found") return handleError(failure);
  }
  try {
    await loadFaults();
  } catch (failure) {
    handleError(failure);
  }
}

async function loadClients() {
  const clients = await api("/_mock/clients");
  $("clients").replaceChildren(...clients.map((client) => {
    const rest = Object.assign({}, client);
    delete rest.id;
    return el("li", {}, el("b", {}, client.id), " ", el("span", { class: "mono muted" }, JSON.stringify(rest)));
  }));
}

async function loadClock() {
  const clock = await api("/_mock/clock");
  state.clockOffsetMs = Date.parse(clock.now) - Date.now();
  $("offset").textContent = clock.offset_seconds ? `(+${clock.offset_seconds} s)` : "";
  tick();
}

function tick() {
  const now = new Date(Date.now() + state.clockOffsetMs);
  $("now").textContent = now.toISOString().replace(/\.\d+Z$/, "Z");
}

async function addFault(event) {
  event.preventDefault();
  const error = $("fault-error");
  error.hidden = true;
  try {
    const rule = JSON.parse($("fault-rule").value);
    await api("/_mock/faults", { method: "POST", body: JSON.stringify(rule) });
    await loadFaults();
  } catch (failure) {
    if (failure instanceof Unauthorized) return handleError(failure);
    error.textContent = "not added: " + failure.message;
    error.hidden = false;
  }
}

async function clearFaults() {
  try {
    await api("/_mock/faults", { method: "DELETE" });
    await loadFaults();
  } catch (failure) {
    handleError(failure);
  }
}

async function advance(event) {
  event.preventDefault();
  try {
    const seconds = Number.parseInt($("advance-seconds").value, 10);
    await api("/_mock/clock/advance", { method: "POST", body: JSON.stringify({ seconds }) });
    await loadClock();
  } catch (failure) {
    handleError(failure);
  }
}

function handleError(error) {
  if (error instanceof Unauthorized) {
    showSignIn();
  } else {
    setStatus("error: " + error.message, "down");
  }
}

function showSignIn() {
  $("console").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-failed").hidden = location.hash !== "#sign-in-failed";
  setStatus("signed out", "down");
  $("token").focus();
}

async function start() {
  $("fault-rule").value = $("fault-preset").value;
  $("fault-preset").addEventListener("change", () => { $("fault-rule").value = $("fault-preset").value; });
  $("fault-form").addEventListener("submit", addFault);
  $("clear-faults").addEventListener("click", clearFaults);
  $("advance-form").addEventListener("submit", advance);
  setInterval(tick, 1000);
  try {
    const session = await api("/_mock/ui/session");
    if (!session.admitted) return showSignIn();
    const rules = await api("/_mock/ui/rules.json");
    for (const rule of rules) state.rules.set(rule.id, rule);
  } catch (error) {
    return handleError(error);
  }
  if (location.hash) history.replaceState(null, "", location.pathname);
  $("sign-in").hidden = true;
  $("console").hidden = false;
  follow();
  const refresh = () => Promise.all([loadFaults(), loadClients(), loadClock()]).catch(handleError);
  await refresh();
  setInterval(refresh, POLL_MS);
}

start();
