"""The JSON shapes of answers and passages (docs/API.md): one serializer for the API and `docqa ask --json`."""

from __future__ import annotations

from index.documents import pages_of

from .answers import AskResult
from .passages import Passage


def ask_json(result: AskResult, index) -> dict:
    """The /api/ask response body, without `took_ms` (the caller adds its own timing)."""
    answer = None
    if result.answer is not None:
        a = result.answer
        answer = {"text": a.text, "highlight": {"start": a.highlight[0], "end": a.highlight[1]} if a.highlight else None,
                  "passage": a.passage, "confidence": a.confidence, "resolved": [dict(r) for r in a.resolved],
                  **({"speaker": dict(a.speaker)} if a.speaker else {})}
    return {"question": result.question, "query": result.query, "read_as": result.read_as, "answer": answer,
            **({"message": result.message} if result.message else {}),
            "disagreement": [disagreement_json(d) for d in result.disagreement],
            "passages": [passage_json(p, index) for p in result.passages]}


def disagreement_json(d) -> dict:
    """One disagreeing value: its measure, the passages and distinct documents stating it, the sentence
    that states it first; for a figure a text says was revised, the later value and that sentence."""
    quote = lambda q: {"passage": q.passage, "start": q.start, "end": q.end, "text": q.text}  # noqa: E731
    return {"value": d.value, **({"measure": d.measure} if d.measure else {}), "passages": list(d.passages),
            "documents": list(d.documents), **({"quote": quote(d.quote)} if d.quote else {}),
            **({"superseded_by": d.superseded_by, "revision": quote(d.revision)} if d.superseded_by else {})}


def passage_json(passage: Passage, index) -> dict:
    """One passage with its citation: document, title, paragraph (and page), offsets, matched words, link."""
    hit, p = passage.hit, passage.hit.paragraph
    info = index.info(p.document_id)
    pages = pages_of(info.pages, p.start, p.end)
    return {"text": p.text, "score": hit.score, "semantic": hit.semantic, "document": p.document_id, "title": info.title,
            "paragraph": p.number, "heading": p.heading, "start": p.start, "end": p.end,
            **({"page": pages[0], "pages": pages} if pages else {}),
            "highlights": [list(h) for h in passage.highlights], "url": f"/documents/{p.document_id}#p{p.number}"}


def history_item(result: AskResult) -> dict:
    """What a client sends back as one `history` item: the question, the answer, the citations shown
    (the answer's passage first). The chat page builds the same from the response body."""
    cited = [{"document": p.hit.paragraph.document_id, "paragraph": p.hit.paragraph.number} for p in result.passages]
    if result.answer is not None:
        cited.insert(0, cited.pop(result.answer.passage))
    return {"question": result.question, "answer": result.answer.text if result.answer else None, "citations": cited}
