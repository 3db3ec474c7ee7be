// Conversations kept in localStorage: a list (new, open, rename, delete with undo, search), each with
// its turns and scroll position. The chat page renders the current one. A conversation may have a
// question waiting for its answer (`pending`, not stored): the answer is added to that conversation,
// whichever is open when it arrives, and the list says where one is waiting or new.
import { el } from "./text.js";

const STORE = "docqa.conversations.v1";
const OLD_STORE = "docqa.chat.v1";  // one conversation, before there was a list
const MAX_CONVERSATIONS = 50;
const MAX_TURNS = 30;
const list = document.getElementById("conversation-list");
const search = document.getElementById("conversation-search");
const undo = document.getElementById("undo");
const undoText = document.getElementById("undo-text");

const CURRENT = "docqa.conversation.current";
let conversations = read();
let currentId = conversations.some((c) => c.id === localStorage.getItem(CURRENT)) ? localStorage.getItem(CURRENT)
  : conversations[0].id;
let deleted = null;  // [conversation, position] until Undo
let undoTimer = null;
let onOpen = () => {};

function read() {
  let saved = [];
  try {
    saved = JSON.parse(localStorage.getItem(STORE) || "[]");
    if (!Array.isArray(saved)) saved = [];
    const old = JSON.parse(localStorage.getItem(OLD_STORE) || "null");
    if (Array.isArray(old) && old.length) saved.unshift(fresh(old));
    localStorage.removeItem(OLD_STORE);
  } catch {
    saved = [];
  }
  saved = saved.filter((c) => c && Array.isArray(c.turns));
  return saved.length ? saved : [fresh()];
}

function fresh(turns = []) {
  return { id: `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, title: "", turns,
           updated: Date.now(), scroll: null };
}

export function save() {
  try {
    localStorage.setItem(STORE, JSON.stringify(conversations.slice(0, MAX_CONVERSATIONS)
      .map(({ pending, failed, ...c }) => ({ ...c, turns: c.turns.slice(-MAX_TURNS) }))));
    localStorage.setItem(CURRENT, currentId);
  } catch {
    /* storage full or disabled: the conversation still works for this page view */
  }
}

export function current() {
  return conversations.find((c) => c.id === currentId);
}

function titleOf(c) {
  return c.title || (c.turns[0] && c.turns[0].question) || c.pending || "New conversation";
}

// A conversation by id, also one deleted and still offered for Undo.
function find(id) {
  return conversations.find((c) => c.id === id) || (deleted && deleted[0].id === id ? deleted[0] : undefined);
}

// Whether conversation `id` is in the list (not deleted).
export function isListed(id) {
  return conversations.some((c) => c.id === id);
}

export function conversationTitle(id) {
  const c = find(id);
  return c ? titleOf(c) : "a deleted conversation";
}

function isEmpty(c) {
  return !c.turns.length && !c.pending;
}

// Mark conversation `id` as waiting for the answer to `question`, or as having it unanswered (`failed`);
// null: neither.
export function setPending(id, question, failed = false) {
  const c = find(id);
  if (!c) return;
  c.pending = question || undefined;
  c.failed = Boolean(question && failed);
  renderList();
}

// Record a new turn in conversation `id` (it moves to the top of the list); false when the
// conversation is gone. A turn added to a conversation not open is marked as new in the list.
export function addTurn(id, turn) {
  const c = find(id);
  if (!c) return false;
  c.turns.push(turn);
  c.updated = Date.now();
  if (id !== currentId) c.unseen = true;
  if (conversations.includes(c)) conversations = [c, ...conversations.filter((x) => x !== c)];
  save();
  renderList();
  return true;
}

export function rememberScroll() {
  const c = current();
  if (c) c.scroll = window.scrollY;
  save();
}

export function startNew() {
  const c = current();
  if (isEmpty(c)) return;  // already a new one
  rememberScroll();
  const next = fresh();
  conversations.unshift(next);
  open(next.id);
}

export function open(id) {
  if (!isListed(id)) return;
  const leaving = current();  // undefined when it was just deleted
  if (leaving && id !== currentId) leaving.scroll = window.scrollY;
  currentId = id;
  delete current().unseen;
  save();
  renderList();
  onOpen(current());
}

function rename(c) {
  const name = window.prompt("Name this conversation:", titleOf(c));
  if (name === null) return;
  c.title = name.trim().slice(0, 120);
  save();
  renderList();
}

function remove(c) {
  const position = conversations.indexOf(c);
  conversations.splice(position, 1);
  deleted = [c, position];
  if (!conversations.length) conversations.push(fresh());
  if (c.id === currentId) open(conversations[0].id);
  save();
  renderList();
  undoText.textContent = `“${titleOf(c)}” deleted.`;
  undo.hidden = false;
  clearTimeout(undoTimer);
  undoTimer = setTimeout(() => (undo.hidden = true), 15000);
}

function restore() {
  if (!deleted) return;
  const [c, position] = deleted;
  conversations = conversations.filter((x) => !isEmpty(x) || x.id === currentId);
  conversations.splice(Math.min(position, conversations.length), 0, c);
  deleted = null;
  undo.hidden = true;
  open(c.id);
}

// What a search looks in: the title, and each turn's question, the question as read, and its answer
// (or the reason there is none).
function searchText(c) {
  const turns = c.turns.map((t) => {
    const r = t.response || {};
    return [t.question, r.read_as, r.answer && r.answer.text, r.message].filter(Boolean).join(" ");
  });
  return [titleOf(c), ...turns].join(" ").toLowerCase();
}

// "3 questions", or what is going on in it
function state(c) {
  if (c.pending) return c.failed ? "Not answered" : "Waiting for an answer…";
  if (c.unseen) return "New answer";
  return `${c.turns.length} question${c.turns.length === 1 ? "" : "s"}`;
}

export function renderList() {
  const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const shown = conversations.filter((c) => { const text = searchText(c); return words.every((w) => text.includes(w)); });
  list.replaceChildren(...shown.map((c) => {
    const item = el("li", { class: `conversation-item${c.id === currentId ? " current" : ""}` },
      el("button", { type: "button", class: "link open-conversation", title: titleOf(c),
                     "aria-current": c.id === currentId ? "true" : null }, titleOf(c)),
      el("span", { class: "conversation-actions" },
        el("span", { class: `conversation-state${c.pending || c.unseen ? " busy" : ""}` }, state(c)),
        el("button", { type: "button", class: "secondary small", "aria-label": `Rename ${titleOf(c)}` }, "Rename"),
        el("button", { type: "button", class: "secondary small", "aria-label": `Delete ${titleOf(c)}` }, "Delete")));
    const [openButton, renameButton, deleteButton] = item.querySelectorAll("button");
    openButton.addEventListener("click", () => open(c.id));
    renameButton.addEventListener("click", () => rename(c));
    deleteButton.addEventListener("click", () => remove(c));
    return item;
  }));
  if (!shown.length) list.append(el("li", { class: "meta" }, "No conversation matches."));
}

export function initConversations(handler) {
  onOpen = handler;
  if (window.matchMedia("(max-width: 1099px)").matches) document.getElementById("conversations").open = false;
  search.addEventListener("input", renderList);
  document.getElementById("undo-button").addEventListener("click", restore);
  let pending = null;
  window.addEventListener("scroll", () => {
    clearTimeout(pending);
    pending = setTimeout(rememberScroll, 300);
  }, { passive: true });
  renderList();
  onOpen(current());
}
