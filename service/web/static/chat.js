// The chat page: ask, show each answer in the conversation that asked it, with what was searched and
// how the question was read; keep the conversation for follow-ups.
import { renderAnswer } from "./answer.js";
import { cancel, requestIn, send, waitingIn } from "./asking.js";
import { clearProblem, putBack, refuse, showProblem, take } from "./composer.js";
import { addTurn, conversationTitle, current, initConversations, isListed, open, setPending, startNew } from "./conversations.js";
import { closeEvidence } from "./evidence.js";
import { loadSources, scope, useAllDocuments } from "./sources.js";
import { el } from "./text.js";

const HISTORY_TURNS = 6;
const thread = document.getElementById("thread");
const form = document.getElementById("ask");
const box = document.getElementById("question");
const sendButton = document.getElementById("send");
const empty = document.getElementById("empty");
const title = document.getElementById("title");
const elsewhere = document.getElementById("elsewhere");

// "Searched 1 of 2 documents: <title>", "Searched all 2 documents"
function scopeText(s, verb = "Searched") {
  if (!s.total) return `${verb} all documents`;
  if (s.documents === null) return `${verb} all ${s.total} document${s.total === 1 ? "" : "s"}`;
  const part = `${verb} ${s.searched} of ${s.total} documents`;
  return s.titles.length ? `${part}: ${s.titles.join("; ")}` : part;
}

// Whether the question as read says the same as the question asked (case and punctuation aside).
function sameWords(a, b) {
  const words = (text) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  return words(a) === words(b);
}

function questionBubble(question) {
  return el("p", { class: "question" }, el("span", { class: "visually-hidden" }, "You asked: "), question);
}

function aloneNote() {
  return el("p", { class: "turn-note alone" }, "Asked without the conversation; follow-ups continue from this answer.");
}

// "Read as: What did Natacha Bouchart say?" when a follow-up was rewritten, with one click to ask the
// question as typed, on its own.
function readAs(turn) {
  const readAsText = turn.response.read_as;
  if (!readAsText || sameWords(readAsText, turn.question)) return null;
  const line = el("p", { class: "turn-note read-as" }, "Read as: ", el("q", {}, readAsText));
  if (turn.withHistory !== false && !turn.alone) {
    const again = el("button", { type: "button", class: "secondary small ask-alone",
                                 "aria-label": `Ask without the conversation: “${turn.question}”` },
                     "Ask without the conversation");
    again.addEventListener("click", () => ask(turn.question, { alone: true }));
    line.append(" ", again);
  }
  return line;
}

function renderTurn(turn) {
  return el("li", { class: "turn" }, questionBubble(turn.question), turn.alone ? aloneNote() : null, readAs(turn),
    turn.scope ? el("p", { class: "turn-note scope" }, `${scopeText(turn.scope)}.`) : null, renderAnswer(turn.response));
}

// A question still waiting, or not answered (then with Retry, and Cancel to take it back into the box).
function renderPending(request) {
  const item = el("li", { class: "turn pending" }, questionBubble(request.question), request.alone ? aloneNote() : null);
  if (request.state === "waiting") {
    item.append(el("p", { class: "loading", role: "status" }, el("span", { class: "spinner", "aria-hidden": "true" }),
                   `${scopeText(request.scope, "Searching")}…`));
    return item;
  }
  const retry = el("button", { type: "button", class: "secondary retry" }, "Retry");
  retry.addEventListener("click", () => {
    if (box.value.trim() === request.question.trim()) take();
    start(request);
  });
  const dismiss = el("button", { type: "button", class: "secondary cancel" }, "Cancel");
  dismiss.addEventListener("click", () => {
    cancel(request.conversationId);
    setPending(request.conversationId, null);
    item.remove();
    putBack(request.question);
    showEmpty();
    box.focus();
  });
  item.append(el("p", { class: "error", role: "alert" }, request.error, " ", retry, " ", dismiss));
  return item;
}

// The newest turn in view, above the input box (which sits at the bottom of the page).
function toNewest() {
  window.scrollTo({ top: document.documentElement.scrollHeight });
}

function showEmpty() {
  const blank = !current().turns.length && !requestIn(current().id);
  empty.hidden = !blank;
  title.classList.toggle("visually-hidden", !blank);
}

// Send is for the open conversation: disabled while it waits for an answer (another may be asked meanwhile).
function syncSend() {
  const waiting = waitingIn(current().id);
  sendButton.disabled = waiting;
  thread.toggleAttribute("aria-busy", waiting);
}

// The pending item of the open conversation, put in place (or replaced by `item`).
function showPendingItem(item) {
  const old = thread.querySelector(".turn.pending");
  if (old) old.replaceWith(item);
  else thread.append(item);
  showEmpty();
  toNewest();
}

// A history item as the API takes it: the question, the answer, the citations shown (the answer's first).
function historyItem(turn) {
  const r = turn.response;
  const cited = r.passages.map((p) => ({ document: p.document, paragraph: p.paragraph }));
  if (r.answer) cited.unshift(...cited.splice(r.answer.passage, 1));
  return { question: turn.question, answer: r.answer ? r.answer.text : null, citations: cited };
}

// The history of conversation `c` for its next question. A turn asked without the conversation starts
// the history over: the server reads each earlier question in the light of those before it, and would
// read that one differently from how it was answered.
function historyFor(c) {
  const answered = c.turns.filter((t) => t.response);
  const from = answered.findLastIndex((t) => t.alone);
  return answered.slice(Math.max(from, 0)).slice(-HISTORY_TURNS).map(historyItem);
}

// "The answer to … arrived in …" when a conversation that is not open gets its answer (or its problem).
function tellElsewhere(id, text) {
  if (!isListed(id)) {  // deleted meanwhile (Undo brings it back with its answer)
    elsewhere.replaceChildren(`${text} That conversation was deleted.`);
    return;
  }
  const go = el("button", { type: "button", class: "secondary small" }, "Open it");
  go.addEventListener("click", () => {
    open(id);
    box.focus();
  });
  elsewhere.replaceChildren(text, " ", go);
  elsewhere.dataset.conversation = id;
}

function finished(request) {
  const id = request.conversationId;
  const here = id === current().id;
  const question = `“${request.question.length > 60 ? `${request.question.slice(0, 60)}…` : request.question}”`;
  if (request.response) {
    const turn = { question: request.question, response: request.response, scope: request.scope,
                   withHistory: request.withHistory, ...(request.alone ? { alone: true } : {}) };
    setPending(id, null);
    addTurn(id, turn);
    if (here) showPendingItem(renderTurn(turn));
    else tellElsewhere(id, `The answer to ${question} arrived in the conversation “${conversationTitle(id)}”.`);
  } else {
    setPending(id, request.question, true);
    if (here) {
      showPendingItem(renderPending(request));
      putBack(request.question);  // the question is never lost: back in the box to edit or send again
    } else {
      tellElsewhere(id, `${question} in the conversation “${conversationTitle(id)}” was not answered: ${request.error}`);
    }
  }
  syncSend();
}

function start(request) {
  setPending(request.conversationId, request.question);
  clearProblem();
  send(request, finished);
  showPendingItem(renderPending(request));
  syncSend();
}

// Ask `question` in the open conversation (`alone`: without its history); false when it can't be sent
// (said under the box).
function ask(question, { alone = false } = {}) {
  const c = current();
  if (waitingIn(c.id)) {
    showProblem("This conversation is waiting for an answer: ask again when it has come.", "busy");
    return false;
  }
  const s = scope();
  if (refuse(question, s.documents, useAllDocuments)) return false;
  const history = alone ? [] : historyFor(c);
  start({ conversationId: c.id, question, alone, scope: s, withHistory: history.length > 0,
          body: { question, top_k: 5, history, documents: s.documents } });
  return true;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = box.value;
  if (!question.trim() || sendButton.disabled) return;
  if (ask(question)) take();
});

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

// Opening a conversation: its turns and its question in flight, at the scroll position it was left at
// (else the newest turn).
initConversations((conversation) => {
  closeEvidence();
  const request = requestIn(conversation.id);
  thread.replaceChildren(...conversation.turns.map(renderTurn), ...(request ? [renderPending(request)] : []));
  if (elsewhere.dataset.conversation === conversation.id) elsewhere.replaceChildren();
  showEmpty();
  syncSend();
  if (conversation.scroll === null) toNewest();
  else window.scrollTo({ top: conversation.scroll });
});
loadSources();
box.focus();
