// The sources pane: the documents the server holds, a filter, and checkboxes that limit the
// conversation to some of them (kept in localStorage; sent as "documents" with each question).
import { el } from "./text.js";

const STORE = "docqa.sources.v1";
const pane = document.getElementById("sources");
const list = document.getElementById("source-list");
const filter = document.getElementById("source-filter");
const summary = document.getElementById("sources-summary");

let documents = [];
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
      el("a", { href: `/documents/${encodeURIComponent(d.id)}`, class: "open", "aria-label": `Open ${d.title}` }, "Open"));
  }));
  if (!shown.length) list.append(el("li", { class: "meta" }, documents.length ? "No document matches." : "No documents yet."));
  count();
}

function count() {
  const used = documents.filter((d) => !excluded.has(d.id)).length;
  summary.textContent = `Sources (${used} of ${documents.length})`;
}

// The ids to send with a question: null when every document is in (the server's default).
export function selectedDocuments() {
  const used = documents.filter((d) => !excluded.has(d.id)).map((d) => d.id);
  return used.length === documents.length ? null : used;
}

export async function loadSources() {
  try {
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
document.getElementById("sources-all").addEventListener("click", () => {
  excluded.clear();
  save();
  render();
});
pane.hidden = false;
if (window.matchMedia("(max-width: 1099px)").matches) pane.open = false;  // a sheet on small screens
