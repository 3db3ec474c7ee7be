// The evidence panel: a cited paragraph in its context (the paragraphs before and after), beside the
// chat; the answer sentence marked, the answer span marked stronger, the question's words lighter.
import { el } from "./text.js";

const panel = document.getElementById("evidence");
const body = document.getElementById("evidence-body");
const heading = document.getElementById("evidence-title");
const cache = new Map();
let opener = null;  // the link that opened the panel: the focus goes back to it on close

async function fetchDocument(id) {
  if (!cache.has(id)) {
    const res = await fetch(`/api/documents/${encodeURIComponent(id)}`);
    if (!res.ok) throw new Error(`${res.status}`);
    cache.set(id, await res.json());
  }
  return cache.get(id);
}

// ranges inside the paragraph: [[start, end, class], ...]
function paragraphView(doc, p, ranges, cited) {
  const text = doc.text.slice(p.start, p.end);
  const frag = document.createDocumentFragment();
  let pos = 0;
  for (const [start, end, cls] of ranges.sort((a, b) => a[0] - b[0])) {
    if (start < pos || end <= start) continue;
    frag.append(text.slice(pos, start), el("mark", { class: cls, text: text.slice(start, end) }));
    pos = end;
  }
  frag.append(text.slice(pos));
  const where = p.pages ? ` · p. ${p.pages.join("–")}` : "";
  return el("div", { class: `evidence-para${cited ? " cited" : ""}` },
    el("p", { class: "meta" }, `¶${p.number}${where}`), el("p", {}, frag));
}

// Show passage `passage` (an /api/ask passage) with `answer` ({text, highlight}: the answer, or another
// quoted sentence) marked in it; `from` is the link that asked, where Escape or Close return the focus.
export async function showEvidence(passage, answer, url, from = null) {
  opener = from;
  heading.textContent = passage.title;
  body.replaceChildren(el("p", { class: "loading" }, "Loading the paragraph…"));
  panel.hidden = false;
  document.body.classList.add("with-evidence");
  try {
    const doc = await fetchDocument(passage.document);
    const n = passage.paragraph - 1;
    const around = doc.paragraphs.slice(Math.max(0, n - 1), n + 2);
    const ranges = passage.highlights.map(([s, e]) => [s, e, "hit"]);
    if (answer) {
      const start = passage.text.indexOf(answer.text);
      if (start >= 0) {
        ranges.push([start, start + answer.text.length, "answer-sentence"]);
        if (answer.highlight) ranges.push([start + answer.highlight.start, start + answer.highlight.end, "answer-span"]);
      }
    }
    // a span inside the sentence wins over the sentence; the question's words elsewhere
    const kept = nest(ranges);
    body.replaceChildren(...around.map((p) => paragraphView(doc, p, p.number === passage.paragraph ? kept : [], p.number === passage.paragraph)),
      el("p", {}, el("a", { href: url }, "Open in the document")));
    const cited = body.querySelector(".cited");  // into view inside the panel, without moving the chat
    panel.scrollTop = Math.max(0, cited.offsetTop - panel.offsetTop - 48);
  } catch {
    body.replaceChildren(el("p", { class: "error" }, "This document could not be loaded; it may have been removed."));
  }
  document.getElementById("evidence-close").focus();
}

// Flatten overlapping ranges: inside the answer sentence only the span is marked strongly and the
// rest of the sentence as the sentence; question words outside it stay light.
function nest(ranges) {
  const sentence = ranges.find((r) => r[2] === "answer-sentence");
  if (!sentence) return ranges.filter((r) => r[2] === "hit");
  const span = ranges.find((r) => r[2] === "answer-span");
  const out = ranges.filter((r) => r[2] === "hit" && (r[1] <= sentence[0] || r[0] >= sentence[1]));
  if (span) out.push([sentence[0], span[0], "answer-sentence"], span, [span[1], sentence[1], "answer-sentence"]);
  else out.push(sentence);
  return out;
}

// Close the panel; `refocus`: give the focus back to the link that opened it (when the user closed it).
export function closeEvidence(refocus = false) {
  if (panel.hidden) return;
  panel.hidden = true;
  document.body.classList.remove("with-evidence");
  if (refocus && opener && opener.isConnected) opener.focus();
  opener = null;
}

document.getElementById("evidence-close").addEventListener("click", () => closeEvidence(true));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !panel.hidden) closeEvidence(true);
});
