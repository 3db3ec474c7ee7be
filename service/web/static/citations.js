// Citations: links to a paragraph of a document that open it in the evidence panel beside the chat.
import { showEvidence } from "./evidence.js";
import { el } from "./text.js";

// The document page at the paragraph, the question's words marked; for a quoted sentence of the
// passage also the sentence (s=start-end in the paragraph) and its marked span (a=start-end).
export function citationUrl(passage, sentence = null) {
  const words = [...new Set(passage.highlights.map(([s, e]) => passage.text.slice(s, e)))];
  const params = new URLSearchParams();
  if (words.length) params.set("hl", words.join(","));
  const start = sentence ? passage.text.indexOf(sentence.text) : -1;
  if (start >= 0) {
    params.set("s", `${start}-${start + sentence.text.length}`);
    if (sentence.highlight) params.set("a", `${start + sentence.highlight.start}-${start + sentence.highlight.end}`);
  }
  const query = params.toString() ? `?${params}` : "";
  return `/documents/${encodeURIComponent(passage.document)}${query}#p${passage.paragraph}`;
}

// A place in a document with words to mark (a speaker's name, a resolved pronoun's antecedent).
export function placeUrl(document, paragraph, words) {
  return `/documents/${encodeURIComponent(document)}?hl=${encodeURIComponent(words)}#p${paragraph}`;
}

// "paragraph 8", or "paragraph 8, page 3" ("pages 2–3") for a document with pages
export function where(p) {
  if (!p.pages) return `paragraph ${p.paragraph}`;
  return `paragraph ${p.paragraph}, page${p.pages.length > 1 ? "s" : ""} ${p.pages.join("–")}`;
}

// The sentence of passage `index` to mark: the answer's when it came from there, else `sentence`.
function sentenceIn(response, index, sentence) {
  if (sentence) return sentence;
  return response.answer && response.answer.passage === index ? response.answer : null;
}

// A link that opens passage `index` in the evidence panel (a modified click still opens the document
// page, as links do); Escape or Close there gives the focus back to the link.
export function withEvidence(link, response, index, sentence = null) {
  link.addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    showEvidence(response.passages[index], sentenceIn(response, index, sentence), link.getAttribute("href"), link);
  });
  return link;
}

// "[2]": passage `index` of the response; `sentence` ({text, highlight}) is marked in it when given.
export function cite(response, index, sentence = null) {
  const p = response.passages[index];
  const link = el("a", { class: "cite", href: citationUrl(p, sentenceIn(response, index, sentence)), title: `${p.title}, ${where(p)}`,
                         "aria-label": `Source ${index + 1}: ${p.title}, ${where(p)}` }, `[${index + 1}]`);
  return withEvidence(link, response, index, sentence);
}
