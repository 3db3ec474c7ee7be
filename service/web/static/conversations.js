// Conversations kept in localStorage: a list (new, open, rename, delete with undo, search), each with
// its turns and scroll position. The chat page renders the current one.
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
      .map((c) => ({ ...c, turns: c.turns.slice(-MAX_TURNS) }))));
    localStorage.setItem(CURRENT, currentId);
  } catch {
    /* storage full or disabled: the conversation still works for this page view */
  }
}

export function current() {
  return conversations.find((c) => c.id === currentId);
}

function titleOf(c) {
  return c.title || (c.turns[0] && c.turns[0].question) || "New conversation";
}

// Record a new turn in the current conversation (it moves to the top of the list).
export function addTurn(turn) {
  const c = current();
  c.turns.push(turn);
  c.updated = Date.now();
  conversations = [c, ...conversations.filter((x) => x !== c)];
  save();
  renderList();
}

export function rememberScroll() {
  const c = current();
  if (c) c.scroll = window.scrollY;
  save();
}

export function startNew() {
  const c = current();
  if (!c.turns.length) return;  // already a new one
  rememberScroll();
  const next = fresh();
  conversations.unshift(next);
  open(next.id);
}

function open(id) {
  const leaving = current();  // undefined when it was just deleted
  if (leaving && id !== currentId) leaving.scroll = window.scrollY;
  currentId = id;
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
  conversations = conversations.filter((x) => x.turns.length || x.id === currentId);
  conversations.splice(Math.min(position, conversations.length), 0, c);
  deleted = null;
  undo.hidden = true;
  open(c.id);
}

export function renderList() {
  const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (c) => words.every((w) => [titleOf(c), ...c.turns.map((t) => t.question)].join(" ").toLowerCase().includes(w));
  list.replaceChildren(...conversations.filter(matches).map((c) => {
    const item = el("li", { class: `conversation-item${c.id === currentId ? " current" : ""}` },
      el("button", { type: "button", class: "link open-conversation", "aria-current": c.id === currentId ? "true" : null },
         titleOf(c)),
      el("button", { type: "button", class: "secondary small", "aria-label": `Rename ${titleOf(c)}` }, "Rename"),
      el("button", { type: "button", class: "secondary small", "aria-label": `Delete ${titleOf(c)}` }, "Delete"));
    const [openButton, renameButton, deleteButton] = item.querySelectorAll("button");
    openButton.addEventListener("click", () => open(c.id));
    renameButton.addEventListener("click", () => rename(c));
    deleteButton.addEventListener("click", () => remove(c));
    return item;
  }));
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
