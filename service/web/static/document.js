// Highlights the cited paragraph (#p<n>) and, when the link carries ?hl=word,word, those words.
import { markWords } from "./text.js";

function showCited() {
  document.querySelectorAll(".para.cited").forEach((p) => p.classList.remove("cited"));
  const match = /^#p(\d+)$/.exec(location.hash);
  if (!match) return;
  const para = document.getElementById(`p${match[1]}`);
  if (!para) return;
  para.classList.add("cited");
  para.setAttribute("tabindex", "-1");
  const words = (new URLSearchParams(location.search).get("hl") || "").split(",").filter(Boolean);
  if (words.length) markWords(para.querySelector(".ptext"), words);
  para.scrollIntoView({ block: "center" });
  para.focus({ preventScroll: true });
}

window.addEventListener("hashchange", showCited);
showCited();
