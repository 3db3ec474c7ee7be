// The question box: a count of its characters against the server's limit, and what stops a question
// from being sent (too long, no document to search), said in words under the box.
import { el } from "./text.js";

const box = document.getElementById("question");
const counter = document.getElementById("counter");
const problem = document.getElementById("ask-problem");
export const MAX_CHARS = Number(box.dataset.maxChars) || 1000;

// Characters as the server counts them: after trimming, one per code point (an emoji is one).
export function charCount(text) {
  return [...text.trim()].length;
}

export function updateCounter() {
  const n = charCount(box.value);
  const excess = n - MAX_CHARS;
  counter.textContent = n > MAX_CHARS * 0.8 ? `${n.toLocaleString()} / ${MAX_CHARS.toLocaleString()}` : "";
  if (excess > 0) counter.textContent += ` (${excess.toLocaleString()} too many)`;
  counter.classList.toggle("over", excess > 0);
  box.toggleAttribute("aria-invalid", excess > 0);
  if (excess <= 0 && problem.dataset.kind === "length") clearProblem();
}

export function showProblem(text, kind, ...actions) {
  problem.dataset.kind = kind;
  problem.replaceChildren(text, ...actions.flatMap((a) => [" ", a]));
}

export function clearProblem() {
  problem.replaceChildren();
  delete problem.dataset.kind;
}

// Why `question` can't be sent to `documents` (the ids ticked; null for all), or null when it can.
// `useAll` is offered as a button when no document is ticked.
export function refuse(question, documents, useAll) {
  const n = charCount(question);
  if (n > MAX_CHARS) {
    showProblem(`Your question is too long: ${n.toLocaleString()} characters, and the limit is ${MAX_CHARS.toLocaleString()}. `
      + `Shorten it by ${(n - MAX_CHARS).toLocaleString()} characters, then send it.`, "length");
    return true;
  }
  if (documents && !documents.length) {
    const all = el("button", { type: "button", class: "secondary small" }, "Use all documents");
    all.addEventListener("click", () => {
      useAll();
      clearProblem();
      box.focus();
    });
    showProblem("No document is ticked in Sources, so there is nothing to search. Tick at least one, or:", "scope", all);
    return true;
  }
  return false;
}

// The question in the box, which is emptied for the next one.
export function take() {
  const question = box.value;
  box.value = "";
  clearProblem();
  updateCounter();
  return question;
}

// The question back in the box (when it was not answered), unless something else was typed since.
export function putBack(question) {
  if (!box.value.trim()) box.value = question;
  updateCounter();
}

box.addEventListener("input", updateCounter);
