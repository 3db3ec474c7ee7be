// Building text into the page safely: everything goes in as text nodes, never as HTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// `text` with the [start, end) ranges wrapped in <mark class=cls>; ranges may be unsorted/overlapping.
export function marked(text, ranges, cls = "hit") {
  const frag = document.createDocumentFragment();
  let pos = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < pos || end <= start) continue;
    frag.append(document.createTextNode(text.slice(pos, start)), el("mark", { class: cls, text: text.slice(start, end) }));
    pos = end;
  }
  frag.append(document.createTextNode(text.slice(pos)));
  return frag;
}

// [start, end) of whole-word, case-insensitive occurrences of `words` in `text`.
export function wordRanges(text, words) {
  const lower = text.toLowerCase();
  const ranges = [];
  for (const word of words) {
    const w = word.toLowerCase();
    for (let i = lower.indexOf(w); w && i !== -1; i = lower.indexOf(w, i + w.length)) {
      const before = i === 0 ? "" : lower[i - 1];
      const after = lower[i + w.length] || "";
      if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after)) ranges.push([i, i + w.length]);
    }
  }
  return ranges;
}

// Wrap whole-word, case-insensitive occurrences of `words` inside `node`'s text.
export function markWords(node, words) {
  node.replaceChildren(marked(node.textContent, wordRanges(node.textContent, words), "hit"));
}
