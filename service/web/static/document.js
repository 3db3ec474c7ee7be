// Highlights the cited paragraph (#p<n>) and, when the link carries them, the question's words
// (?hl=word,word), the answer sentence (s=start-end in the paragraph) and the answer span (a=start-end).
import { el, markWords, wordRanges } from "./text.js";

function range(value) {
  const m = /^(\d+)-(\d+)$/.exec(value || "");
  return m ? [Number(m[1]), Number(m[2])] : null;
}

// The answer sentence marked, its span marked stronger, the question's words lighter outside it.
function markAnswer(node, sentence, span, words) {
  const text = node.textContent;
  if (!sentence || sentence[1] > text.length) return false;
  const ranges = wordRanges(text, words).filter(([s, e]) => e <= sentence[0] || s >= sentence[1]).map((r) => [...r, "hit"]);
  if (span && span[0] >= sentence[0] && span[1] <= sentence[1]) {
    ranges.push([sentence[0], span[0], "answer-sentence"], [span[0], span[1], "answer-span"], [span[1], sentence[1], "answer-sentence"]);
  } else {
    ranges.push([...sentence, "answer-sentence"]);
  }
  const frag = document.createDocumentFragment();
  let pos = 0;
  for (const [start, end, cls] of ranges.sort((a, b) => a[0] - b[0])) {
    if (end <= start || start < pos) continue;
    frag.append(text.slice(pos, start), el("mark", { class: cls, text: text.slice(start, end) }));
    pos = end;
  }
  frag.append(text.slice(pos));
  node.replaceChildren(frag);
  return true;
}

function showCited() {
  document.querySelectorAll(".para.cited").forEach((p) => p.classList.remove("cited"));
  const match = /^#p(\d+)$/.exec(location.hash);
  if (!match) return;
  const para = document.getElementById(`p${match[1]}`);
  if (!para) return;
  para.classList.add("cited");
  para.setAttribute("tabindex", "-1");
  const params = new URLSearchParams(location.search);
  const words = (params.get("hl") || "").split(",").filter(Boolean);
  const text = para.querySelector(".ptext");
  if (!markAnswer(text, range(params.get("s")), range(params.get("a")), words) && words.length) markWords(text, words);
  para.scrollIntoView({ block: "center" });
  para.focus({ preventScroll: true });
}

window.addEventListener("hashchange", showCited);
showCited();
