// The sources pane: the documents the server holds, a filter, and checkboxes that limit the
// conversation to some of them (kept in localStorage; sent as "documents" with each question).
import { el } from "./text.js";

const STORE = "docqa.sources.v1";
const NAMED_DOCUMENTS = 3;  // a scope of this many documents or fewer is said with their titles
const TOKEN = "docqa.token";  // sessionStorage only: asked once per tab, never kept on disk
const pane = document.getElementById("sources");
const list = document.getElementById("source-list");
const filter = document.getElementById("source-filter");
const summary = document.getElementById("sources-summary");

let documents = [];
let writes = false;
let excluded = new Set(JSON.parse(localStorage.getItem(STORE) || "[]"));

function save() {
  try {
    localStorage.setItem(STORE, JSON.stringify([...excluded]));
  } catch {
    /* storage disabled: the choice lasts for this page view */
  }
}

function describe(d) {
  return `${d.paragraphs} paragraph${d.paragraphs === 1 ? "" : "s"}${d.pages ? ` · ${d.pages} page${d.pages === 1 ? "" : "s"}` : ""}`;
}

function render() {
  const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const shown = documents.filter((d) => words.every((w) => `${d.title} ${d.id}`.toLowerCase().includes(w)));
  list.replaceChildren(...shown.map((d) => {
    const box = el("input", { type: "checkbox", id: `src-${d.id}`, checked: !excluded.has(d.id) });
    box.addEventListener("change", () => {
      if (box.checked) excluded.delete(d.id);
      else excluded.add(d.id);
      save();
      count();
    });
    return el("li", { class: "source-item" }, box,
      el("label", { for: `src-${d.id}` }, el("span", { class: "source-title" }, d.title),
         el("span", { class: "meta" }, describe(d))),
      el("span", { class: "source-actions" },
        el("a", { href: `/documents/${encodeURIComponent(d.id)}`, class: "open", "aria-label": `Open ${d.title}` }, "Open"),
        writes ? removeButton(d) : null));
  }));
  if (!shown.length) list.append(el("li", { class: "meta" }, documents.length ? "No document matches." : "No documents yet."));
  count();
}

function count() {
  const used = documents.filter((d) => !excluded.has(d.id)).length;
  summary.textContent = `Sources (${used} of ${documents.length})`;
}

// What a question will search: `documents`, the ids to send (null when every document is in, the
// server's default; [] when none is ticked), how many of how many, and their titles when few.
export function scope() {
  const used = documents.filter((d) => !excluded.has(d.id));
  return { documents: used.length === documents.length ? null : used.map((d) => d.id), searched: used.length,
           total: documents.length, titles: used.length <= NAMED_DOCUMENTS ? used.map((d) => d.title) : [] };
}

export function useAllDocuments() {
  excluded.clear();
  save();
  render();
}

export async function loadSources() {
  try {
    const health = await fetch("/api/health").then((r) => (r.ok ? r.json() : {}));
    writes = Boolean(health.writes);
    document.getElementById("source-writes").hidden = !writes;
    const res = await fetch("/api/documents");
    if (!res.ok) return;
    documents = (await res.json()).documents.sort((a, b) => a.title.localeCompare(b.title));
    excluded = new Set([...excluded].filter((id) => documents.some((d) => d.id === id)));
    render();
  } catch {
    summary.textContent = "Sources (unavailable)";
  }
}

filter.addEventListener("input", render);
document.getElementById("sources-all").addEventListener("click", useAllDocuments);
pane.hidden = false;
if (window.matchMedia("(max-width: 1099px)").matches) pane.open = false;  // a sheet on small screens

// -- adding and removing documents (only when the server has a write token) ----------------------

const status = document.getElementById("source-status");
const progress = document.getElementById("source-progress");

// The status line, in view (it sits at the top of the pane, but the pane may have been scrolled).
function say(text) {
  status.textContent = text;
  status.scrollIntoView({ block: "nearest" });
}

function token(refused = false) {
  let value = sessionStorage.getItem(TOKEN);
  if (!value || refused) {
    value = window.prompt(refused ? "The server refused that token. Enter the API token again (kept for this tab only):"
                                  : "The server's API token (kept for this tab only):") || "";
    if (value) sessionStorage.setItem(TOKEN, value);
  }
  return value;
}

// One write with the token; when the server refuses it, says so and asks for it again, once.
async function write(send) {
  let refused = false;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const value = token(refused);
    if (!value) return { status: 0, body: { detail: refused ? "the token was refused, and no other was given" : "no token was given" } };
    const result = await send(value);
    if (result.status !== 401) return result;
    sessionStorage.removeItem(TOKEN);
    refused = true;
    say("The server refused the token.");
  }
  return { status: 401, body: { detail: "the token was refused again" } };
}

function upload(file, value, id) {
  return new Promise((resolve) => {
    const form = new FormData();
    form.append("file", file);
    if (id) form.append("id", id);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/documents");
    xhr.setRequestHeader("Authorization", `Bearer ${value}`);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) progress.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => resolve({ status: 0, body: { detail: "the server cannot be reached" } }));
    xhr.send(form);
  });
}

async function addDocument(file) {
  progress.hidden = false;
  progress.value = 0;
  say(`Adding ${file.name}…`);
  let result = await write((value) => upload(file, value));
  if (result.status === 409 && window.confirm(`${result.body.detail}\n\nReplace the existing document?`)) {
    const id = /id ['"]([^'"]+)['"]/.exec(result.body.detail);
    result = await write((value) => upload(file, value, id ? id[1] : ""));
  }
  progress.hidden = true;
  if (result.status === 200 || result.status === 201) {
    const n = result.body.paragraphs;
    say(`${file.name} added: ${n} paragraph${n === 1 ? "" : "s"}, searchable now.`);
    excluded.delete(result.body.id);
    save();
    await loadSources();
  } else {
    say(`${file.name} was not added: ${(result.body && result.body.detail) || `error ${result.status}`}`);
  }
}

function removeButton(d) {
  const button = el("button", { type: "button", class: "secondary small remove", "aria-label": `Remove ${d.title}` }, "Remove");
  button.addEventListener("click", async () => {
    if (!window.confirm(`Remove “${d.title}” from the documents? Its file is deleted from the server's folder.`)) return;
    const result = await write((value) => fetch(`/api/documents/${encodeURIComponent(d.id)}`, {
      method: "DELETE", headers: { Authorization: `Bearer ${value}` } })
      .then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) })));
    say(result.status === 200 ? `${d.title} removed.`
      : `${d.title} was not removed: ${(result.body && result.body.detail) || `error ${result.status}`}`);
    await loadSources();
  });
  return button;
}

document.getElementById("source-file").addEventListener("change", (event) => {
  const [file] = event.target.files;
  if (file) addDocument(file);
  event.target.value = "";
});
pane.addEventListener("dragover", (event) => {
  if (!writes) return;
  event.preventDefault();
  pane.classList.add("dropping");
});
pane.addEventListener("dragleave", () => pane.classList.remove("dropping"));
pane.addEventListener("drop", (event) => {
  pane.classList.remove("dropping");
  if (!writes) return;
  event.preventDefault();
  const [file] = event.dataTransfer.files;
  if (file) addDocument(file);
});
