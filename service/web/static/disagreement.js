// "Sources disagree": each value the documents give for the question's measure, with the sentence that
// states it (the server's quote), its documents, and for a figure a text says was revised, the revision.
import { cite } from "./citations.js";
import { el } from "./text.js";

function titleOf(response, id) {
  const p = response.passages.find((x) => x.document === id);
  return p ? p.title : id;
}

function stated(d) {
  return d.documents.length > 1 ? `stated in ${d.documents.length} documents` : "";
}

function figure(d) {
  return d.measure ? `${d.value} ${d.measure}` : d.value;
}

function revised(d) {
  return `revised from ${d.value} to ${d.superseded_by}`;
}

// The citations of a quoted sentence: its own passage (the sentence marked there) first.
function quoted(response, quote) {
  return [el("q", {}, quote.text), " ", cite(response, quote.passage, { text: quote.text, highlight: null })];
}

function valueItem(response, d) {
  const others = d.passages.filter((i) => !d.quote || i !== d.quote.passage);
  const sources = d.documents.flatMap((id, n) => [n ? "; " : "", el("cite", {}, titleOf(response, id))]);
  const item = el("li", { class: "disagree-value" },
    el("p", { class: "figure" }, el("span", { class: "value" }, d.value), d.measure ? ` ${d.measure}` : "",
       d.superseded_by ? el("span", { class: "revised" }, ` · ${revised(d)}`) : null,
       stated(d) ? el("span", { class: "stated" }, ` · ${stated(d)}`) : null),
    d.quote ? el("p", { class: "quote" }, quoted(response, d.quote)) : null,
    el("p", { class: "from" }, "From ", sources,
       others.length ? [others.length === d.passages.length ? "" : "; also ", others.flatMap((i) => [cite(response, i), " "])] : null));
  if (d.revision) {
    item.append(el("p", { class: "revision" }, el("span", { class: "revision-label" }, `${revised(d)[0].toUpperCase()}${revised(d).slice(1)}: `),
      quoted(response, d.revision), " ", el("cite", {}, response.passages[d.revision.passage].title)));
  }
  return item;
}

export function renderDisagreement(response) {
  return el("div", { class: "callout disagreement", role: "note", "aria-label": "Sources disagree" },
    el("strong", {}, "Sources disagree."),
    el("ul", {}, response.disagreement.map((d) => valueItem(response, d))));
}

// The same in plain text, for "Copy answer with citations".
export function disagreementLines(response) {
  return response.disagreement.map((d) => {
    const quote = d.quote ? ` “${d.quote.text}” [${d.quote.passage + 1}]` : "";
    const where = [d.documents.map((id) => titleOf(response, id)).join("; "), stated(d)].filter(Boolean).join(", ");
    const revision = d.revision ? ` Revised from ${d.value} to ${d.superseded_by}: “${d.revision.text}” [${d.revision.passage + 1}]` : "";
    return `Sources disagree: ${figure(d)}:${quote} (${where})${revision}`;
  });
}
