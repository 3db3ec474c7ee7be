// The chat page: ask, show the quoted answer with citations, keep the conversation for follow-ups.
import { addTurn, current, initConversations, startNew } from "./conversations.js";
import { closeEvidence, showEvidence } from "./evidence.js";
import { loadSources, selectedDocuments } from "./sources.js";
import { el, marked } from "./text.js";

const HISTORY_TURNS = 6;
const thread = document.getElementById("thread");
const form = document.getElementById("ask");
const box = document.getElementById("question");
const send = document.getElementById("send");
const empty = document.getElementById("empty");
const title = document.getElementById("title");
const counter = document.getElementById("counter");

function turns() {
  return current().turns;
}

// The document page at the paragraph, the question's words marked; for the answer's passage also
// the answer sentence (s=start-end in the paragraph) and its span (a=start-end).
function citationUrl(passage, answer = null) {
  const words = [...new Set(passage.highlights.map(([s, e]) => passage.text.slice(s, e)))];
  const params = new URLSearchParams();
  if (words.length) params.set("hl", words.join(","));
  const start = answer ? passage.text.indexOf(answer.text) : -1;
  if (start >= 0) {
    params.set("s", `${start}-${start + answer.text.length}`);
    if (answer.highlight) params.set("a", `${start + answer.highlight.start}-${start + answer.highlight.end}`);
  }
  const query = params.toString() ? `?${params}` : "";
  return `/documents/${encodeURIComponent(passage.document)}${query}#p${passage.paragraph}`;
}

// "paragraph 8", or "paragraph 8, page 3" ("pages 2–3") for a document with pages
function where(p) {
  if (!p.pages) return `paragraph ${p.paragraph}`;
  return `paragraph ${p.paragraph}, page${p.pages.length > 1 ? "s" : ""} ${p.pages.join("–")}`;
}

function cite(response, index) {
  const p = response.passages[index];
  const answer = response.answer && response.answer.passage === index ? response.answer : null;
  const link = el("a", { class: "cite", href: citationUrl(p, answer), title: `${p.title}, ${where(p)}`,
                         "aria-label": `Source ${index + 1}: ${p.title}, ${where(p)}` }, `[${index + 1}]`);
  return withEvidence(link, response, index);
}

// A citation opens its paragraph in the evidence panel beside the chat (a modified click still
// opens the document page, as links do).
function withEvidence(link, response, index) {
  link.addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    const answer = response.answer && response.answer.passage === index ? response.answer : null;
    showEvidence(response.passages[index], answer, link.getAttribute("href"));
  });
  return link;
}

// Cards under an answer, one per passage: title, paragraph (page), and the sentence used (the answer
// sentence for the answer's passage, else the sentence with the most matched words); a card opens
// the evidence panel.
function sourceCards(response) {
  return el("ul", { class: "source-cards", "aria-label": "Sources of this answer" }, response.passages.map((p, i) => {
    const answer = response.answer && response.answer.passage === i ? response.answer : null;
    const card = el("a", { class: "source-card", href: citationUrl(p, answer) },
      el("span", { class: "card-title" }, `[${i + 1}] ${p.title}`),
      el("span", { class: "meta" }, where(p)),
      el("span", { class: "card-sentence" }, answer ? answer.text : bestSentence(p)));
    return el("li", {}, withEvidence(card, response, i));
  }));
}

// A passage's sentences, roughly (for showing one; the server's answer sentence is exact).
function sentencesOf(text) {
  return text.match(/[^.!?]+(?:[.!?]+["”’)]*|$)\s*/g) || [text];
}

function bestSentence(p) {
  const sentences = sentencesOf(p.text);
  let pos = 0;
  const scored = sentences.map((s) => {
    const start = pos;
    pos += s.length;
    return [p.highlights.filter(([a]) => a >= start && a < pos).length, s.trim()];
  });
  return scored.reduce((best, x) => (x[0] > best[0] ? x : best), scored[0])[1];
}

// The sentence of a passage that states `value` (for the disagreement box).
function sentenceWith(text, value) {
  const sentences = sentencesOf(text);
  return (sentences.find((s) => s.includes(value)) || text).trim();
}

function copyText(response) {
  const a = response.answer;
  const lines = [a ? `${a.text} [${a.passage + 1}]` : "The documents don't answer this."];
  for (const d of response.disagreement) lines.push(`Sources disagree: ${d.value} in ${d.passages.map((i) => `[${i + 1}]`).join(" ")}`);
  lines.push("");
  response.passages.forEach((p, i) => lines.push(`[${i + 1}] ${p.title}, ¶${p.paragraph}${p.pages ? `, p. ${p.pages.join("–")}` : ""}: ${location.origin}${citationUrl(p)}`));
  return lines.join("\n");
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el("textarea", { class: "visually-hidden" }, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = "Copy answer with citations"), 1500);
}

// The answer text with its span marked and "He [Boris Johnson]": each resolved pronoun followed by the
// name it refers to, linked to where the name stands in the document.
function withResolved(a, span) {
  const frag = document.createDocumentFragment();
  let pos = 0;
  for (const r of [...(a.resolved || [])].sort((x, y) => x.end - y.end)) {
    if (r.end < pos) continue;
    const clipped = span.map(([s, e]) => [Math.max(s, pos) - pos, Math.min(e, r.end) - pos]);
    const href = `/documents/${encodeURIComponent(r.document)}?hl=${encodeURIComponent(r.refers_to)}#p${r.paragraph}`;
    frag.append(marked(a.text.slice(pos, r.end), clipped, "answer-span"), " [",
                el("a", { class: "resolved", href, title: `“${r.text}” is ${r.refers_to} (paragraph ${r.paragraph})` }, r.refers_to), "]");
    pos = r.end;
  }
  frag.append(marked(a.text.slice(pos), span.map(([s, e]) => [Math.max(s, pos) - pos, e - pos]), "answer-span"));
  return frag;
}

function renderAnswer(response) {
  const a = response.answer;
  const body = el("div", { class: "answer" });
  if (a) {
    const span = a.highlight ? [[a.highlight.start, a.highlight.end]] : [];
    const source = response.passages[a.passage];
    body.append(el("p", { class: "answer-text" }, el("span", { class: "visually-hidden" }, "Answer: "),
                   withResolved(a, span), " ", cite(response, a.passage)),
                el("p", { class: "answer-source" }, "From ", withEvidence(el("a", { href: citationUrl(source, a) }, source.title), response, a.passage),
                   `, ${where(source)}`));
    if (response.disagreement.length) {
      body.append(el("div", { class: "callout", role: "note" },
        el("strong", {}, "Sources disagree."),
        el("ul", {}, response.disagreement.map((d) =>
          el("li", {}, el("span", { class: "value" }, d.value), ": ",
             el("q", {}, sentenceWith(response.passages[d.passages[0]].text, d.value)), " — ",
             el("cite", {}, response.passages[d.passages[0]].title), " ", d.passages.flatMap((i) => [cite(response, i), " "]))))));
    }
  } else {
    body.append(el("p", { class: "no-answer" }, "The documents don't answer this.",
      response.passages.length ? " These are the nearest passages." : " Nothing in them matches your question."));
  }
  if (response.passages.length) {
    body.append(sourceCards(response));
    const list = el("ol", { class: "passages" }, response.passages.map((p, i) =>
      el("li", { class: "passage" },
        el("div", { class: "source" }, cite(response, i), " ",
           withEvidence(el("a", { href: citationUrl(p) }, p.title), response, i),
           el("span", { class: "para-no" }, ` ¶${p.paragraph}${p.pages ? ` · p. ${p.pages.join("–")}` : ""}`)),
        el("p", {}, marked(p.text, p.highlights, "hit")))));
    body.append(el("details", { class: "sources", open: !a }, el("summary", {},
      `${response.passages.length} passage${response.passages.length === 1 ? "" : "s"}`), list));
  }
  const button = el("button", { type: "button", class: "secondary copy" }, "Copy answer with citations");
  button.addEventListener("click", () => copy(copyText(response), button));
  body.append(el("div", { class: "actions" }, button));
  return body;
}

function problemMessage(problem, question) {
  if (!problem) return "Can't reach the docqa server. Check that it is running, then try again.";
  if (problem.status === 422 && question.trim().length > box.maxLength)
    return `Your question is too long (${question.trim().length.toLocaleString()} characters). Please keep it to ${box.maxLength.toLocaleString()}.`;
  if (problem.title === "Question has no searchable words")
    return "That question only has very common words. Try naming what you are looking for.";
  if (problem.status === 413) return "That question is too large to send.";
  if (problem.status >= 500)
    return `Something went wrong on the server. Please try again (request id ${problem.request_id || "unknown"}).`;
  return `The question couldn't be asked: ${problem.detail}`;
}

function renderTurn(turn) {
  const item = el("li", { class: "turn" }, el("p", { class: "question" }, el("span", { class: "visually-hidden" }, "You asked: "), turn.question));
  if (turn.response) item.append(renderAnswer(turn.response));
  else if (turn.error) {
    const retry = el("button", { type: "button", class: "secondary retry" }, "Retry");
    retry.addEventListener("click", () => {
      item.remove();
      if (box.value.trim() === turn.question.trim()) box.value = "";
      updateCounter();
      ask(turn.question);
    });
    item.append(el("p", { class: "error", role: "alert" }, turn.error, " ", retry));
  }
  return item;
}

// The newest turn in view, above the input box (which sits at the bottom of the page).
function toNewest() {
  window.scrollTo({ top: document.documentElement.scrollHeight });
}

function showEmpty() {
  empty.hidden = turns().length > 0;
  title.classList.toggle("visually-hidden", turns().length > 0);
}

function updateCounter() {
  const n = box.value.length;
  counter.textContent = n > box.maxLength * 0.8 ? `${n.toLocaleString()} / ${box.maxLength.toLocaleString()}` : "";
}

// A history item as the API takes it: the question, the answer, the citations shown (the answer's first).
function historyItem(turn) {
  const r = turn.response;
  const cited = r.passages.map((p) => ({ document: p.document, paragraph: p.paragraph }));
  if (r.answer) cited.unshift(...cited.splice(r.answer.passage, 1));
  return { question: turn.question, answer: r.answer ? r.answer.text : null, citations: cited };
}

async function ask(question) {
  const history = turns().filter((t) => t.response).slice(-HISTORY_TURNS).map(historyItem);
  const turn = { question };
  const item = renderTurn(turn);
  const loading = el("p", { class: "loading", role: "status" }, el("span", { class: "spinner", "aria-hidden": "true" }), "Searching the documents…");
  item.append(loading);
  thread.append(item);
  empty.hidden = true;
  title.classList.add("visually-hidden");
  toNewest();
  send.disabled = true;
  thread.setAttribute("aria-busy", "true");
  try {
    const res = await fetch("/api/ask", { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: JSON.stringify({ question, top_k: 5, history, documents: selectedDocuments() }) });
    const body = await res.json().catch(() => null);
    if (res.ok && body) {
      turn.response = body;
      addTurn(turn);
    } else {
      turn.error = problemMessage(body || { status: res.status, detail: res.statusText }, question);
    }
  } catch {
    turn.error = problemMessage(null, question);
  } finally {
    if (turn.error && !box.value.trim()) {  // the question is never lost: back in the box to edit or send again
      box.value = question;
      updateCounter();
    }
    send.disabled = false;
    thread.removeAttribute("aria-busy");
  }
  item.replaceWith(renderTurn(turn));
  toNewest();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = box.value;
  if (!question.trim() || send.disabled) return;
  box.value = "";
  updateCounter();
  ask(question);
});

box.addEventListener("input", updateCounter);

box.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

document.querySelectorAll(".chip").forEach((chip) => chip.addEventListener("click", () => {
  box.value = chip.textContent.trim();
  form.requestSubmit();
}));

document.getElementById("new-chat").addEventListener("click", () => {
  startNew();
  box.focus();
});

// Opening a conversation: its turns, at the scroll position it was left at (else the newest turn).
initConversations((conversation) => {
  closeEvidence();
  thread.replaceChildren(...conversation.turns.map(renderTurn));
  showEmpty();
  if (conversation.scroll === null) toNewest();
  else window.scrollTo({ top: conversation.scroll });
});
loadSources();
box.focus();
