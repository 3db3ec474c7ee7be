// One answer as the API gave it: the quoted sentence with its span marked, who is speaking, where it
// comes from, the sources' disagreement, a card and a passage per source, and a copy button.
import { cite, citationUrl, placeUrl, where, withEvidence } from "./citations.js";
import { disagreementLines, renderDisagreement } from "./disagreement.js";
import { el, marked } from "./text.js";

const NO_ANSWER = "The documents don't answer this.";

// A passage's sentences, roughly (for showing one on a card; the server's sentences are exact).
function sentencesOf(text) {
  return text.match(/[^.!?]+(?:[.!?]+["”’)]*|$)\s*/g) || [text];
}

// The sentence with the most words of the question.
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

// Cards under an answer, one per passage: title, paragraph (page), and the sentence used (the answer
// sentence for the answer's passage, else the sentence with the most matched words).
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

function copyText(response) {
  const a = response.answer;
  const said = a && a.speaker ? `${a.speaker.name}: ` : "";
  const lines = [a ? `${said}${a.text} [${a.passage + 1}]` : response.message || NO_ANSWER, ...disagreementLines(response), ""];
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
    frag.append(marked(a.text.slice(pos, r.end), clipped, "answer-span"), " [",
                el("a", { class: "resolved", href: placeUrl(r.document, r.paragraph, r.refers_to),
                          title: `“${r.text}” is ${r.refers_to} (paragraph ${r.paragraph})` }, r.refers_to), "]");
    pos = r.end;
  }
  frag.append(marked(a.text.slice(pos), span.map(([s, e]) => [Math.max(s, pos) - pos, e - pos]), "answer-span"));
  return frag;
}

// "Natacha Bouchart:" before a sentence that reports speech, linked to where the name is written.
function speakerLine(speaker) {
  return el("p", { class: "answer-speaker" }, el("span", { class: "visually-hidden" }, "Speaker: "),
    el("a", { href: placeUrl(speaker.document, speaker.paragraph, speaker.name),
              title: `${speaker.name} (paragraph ${speaker.paragraph})` }, speaker.name), ":");
}

function passageList(response) {
  const list = el("ol", { class: "passages" }, response.passages.map((p, i) =>
    el("li", { class: "passage" },
      el("div", { class: "source" }, cite(response, i), " ",
         withEvidence(el("a", { href: citationUrl(p) }, p.title), response, i),
         el("span", { class: "para-no" }, ` ¶${p.paragraph}${p.pages ? ` · p. ${p.pages.join("–")}` : ""}`)),
      el("p", {}, marked(p.text, p.highlights, "hit")))));
  return el("details", { class: "sources", open: !response.answer }, el("summary", {},
    `${response.passages.length} passage${response.passages.length === 1 ? "" : "s"}`), list);
}

export function renderAnswer(response) {
  const a = response.answer;
  const body = el("div", { class: "answer" });
  if (a) {
    const span = a.highlight ? [[a.highlight.start, a.highlight.end]] : [];
    const source = response.passages[a.passage];
    if (a.speaker) body.append(speakerLine(a.speaker));
    body.append(el("p", { class: "answer-text" }, el("span", { class: "visually-hidden" }, "Answer: "),
                   withResolved(a, span), " ", cite(response, a.passage)),
                el("p", { class: "answer-source" }, "From ", withEvidence(el("a", { href: citationUrl(source, a) }, source.title), response, a.passage),
                   `, ${where(source)}`));
  } else {
    // a stated reason ("The documents give no reason for that.") rather than the generic sentence
    body.append(el("p", { class: "no-answer" }, response.message || NO_ANSWER,
      response.passages.length ? " These are the nearest passages." : " Nothing in them matches your question."));
  }
  if (response.disagreement.length) body.append(renderDisagreement(response));
  if (response.passages.length) body.append(sourceCards(response), passageList(response));
  const button = el("button", { type: "button", class: "secondary copy" }, "Copy answer with citations");
  button.addEventListener("click", () => copy(copyText(response), button));
  body.append(el("div", { class: "actions" }, button));
  return body;
}
