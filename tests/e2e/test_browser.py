"""The chat and document pages in a real headless Chromium against a real server."""

import json
import os
import re
import signal
from contextlib import contextmanager

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.server]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ON_DESKTOP_AND_PHONE = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def _ask(page, question):
    before = page.locator(".turn").count()
    page.fill("#question", question)
    page.keyboard.press("Enter")
    turn = page.locator(".turn").nth(before)
    turn.locator(".answer, .error").wait_for()
    return turn


def _local_only(page):
    assert page.hosts and all(h.startswith("127.0.0.1") for h in page.hosts), page.hosts
    assert page.console_errors == []


@contextmanager
def _page_in(browser, viewport, ask_timeout_seconds=None):
    """A page of the given size, recording hosts and console errors like the `page` fixture; with
    `ask_timeout_seconds`, the page gives up waiting for an answer after that long."""
    context = browser.new_context(viewport=viewport)
    if ask_timeout_seconds:
        context.add_init_script(f"window.docqaAskTimeoutSeconds = {ask_timeout_seconds}")
    pg = context.new_page()
    pg.console_errors, pg.hosts = [], set()
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    pg.on("request", lambda r: pg.hosts.add(r.url.split("/")[2]))
    try:
        yield pg
    finally:
        context.close()


@contextmanager
def _hung(server):
    """The server process stopped (SIGSTOP): connections are accepted by the kernel, nothing answers."""
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)


def _ready(pg):
    """Until the page has what it loads at start (the documents), so a later request is the question."""
    pg.locator("#sources .source-item").first.wait_for(state="attached")


def _conversations_pane(pg):
    """The conversation list, opened first where it starts closed (on a phone)."""
    pane = pg.locator("#conversations")
    if pane.get_attribute("open") is None:
        pane.locator("summary").click()
    return pane


def _in_view(locator):
    """Whether the element is inside the window and inside every scrolling box around it, and on top."""
    return locator.evaluate("""e => {
        const r = e.getBoundingClientRect();
        if (!r.width || !r.height || r.top < 0 || r.bottom > innerHeight || r.left < 0 || r.right > innerWidth) return false;
        for (let p = e.parentElement; p; p = p.parentElement) {
            const s = getComputedStyle(p);
            if (!/(auto|scroll|hidden)/.test(s.overflowY)) continue;
            const b = p.getBoundingClientRect();
            if (r.top < b.top - 1 || r.bottom > b.bottom + 1) return false;
        }
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return e.contains(hit);
    }""")


def test_ask_shows_the_marked_answer_and_a_citation_that_opens_the_paragraph(server, page):
    s = server()
    page.goto(s.url)
    assert page.locator(".chip").count() >= 3
    turn = _ask(page, "how many survivors")
    assert "two survivors" in turn.locator(".answer-text").inner_text()
    assert turn.locator("mark.answer-span").inner_text() == "two"
    link = turn.locator(".answer-text a.cite")
    href = link.get_attribute("href")
    assert href.startswith("/documents/") and "#p" in href
    link.click()  # the evidence panel: the paragraph between its neighbours, sentence and span marked
    evidence = page.locator("#evidence")
    evidence.locator(".evidence-para.cited").wait_for()
    assert evidence.locator(".evidence-para").count() == 3
    assert evidence.locator(".cited mark.answer-span").inner_text() == "two"
    assert "Authorities found 31 bodies and" in evidence.locator(".cited mark.answer-sentence").first.inner_text()
    assert evidence.locator(".cited").evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    page.keyboard.press("Escape")
    assert evidence.is_hidden()
    assert link.evaluate("e => e === document.activeElement")  # back where the reader was
    link.click()
    evidence.get_by_text("Open in the document").click()
    page.wait_for_selector(".para.cited")
    cited = page.locator(".para.cited")
    assert cited.get_attribute("id") == "p" + href.rsplit("#p", 1)[1]
    assert "two survivors" in cited.inner_text()
    assert cited.locator("mark.answer-span").inner_text() == "two"
    assert "Authorities found 31 bodies and" in cited.locator("mark.answer-sentence").first.inner_text()
    assert cited.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    page.go_back()
    cards = page.locator(".turn").first.locator(".source-card")  # one card per passage, the answer's first
    assert cards.count() == page.locator(".turn").first.locator(".passage").count() >= 2
    assert "Authorities found 31 bodies and two survivors" in cards.first.inner_text()
    assert "paragraph 8" in cards.first.inner_text() and "Johnson urges France" in cards.first.inner_text()
    cards.nth(1).click()
    page.locator("#evidence .evidence-para.cited").wait_for()
    assert "¶" in page.locator("#evidence .evidence-para.cited .meta").inner_text()
    _local_only(page)


def test_follow_up_sends_history_and_finds_the_hospital(server, page):
    s = server()
    page.goto(s.url)
    _ask(page, "how many survivors")
    with page.expect_request("**/api/ask") as request_info:
        turn = _ask(page, "where are they being treated?")
    sent = json.loads(request_info.value.post_data)
    assert sent["history"][0]["question"] == "how many survivors" and "survivors" in sent["history"][0]["answer"]
    first = json.loads(page.evaluate("localStorage.getItem('docqa.conversations.v1')"))[0]["turns"][0]["response"]
    answered = first["passages"][first["answer"]["passage"]]
    assert sent["history"][0]["citations"][0] == {"document": answered["document"], "paragraph": answered["paragraph"]}
    assert len(sent["history"][0]["citations"]) == len(first["passages"])
    assert "hospital" in turn.locator(".answer-text").inner_text()
    page.reload()
    assert page.locator(".turn").count() == 2  # kept across a reload
    page.click("#new-chat")
    assert page.locator(".turn").count() == 0 and page.locator("#empty").is_visible()
    _local_only(page)


def test_a_pronoun_in_the_answer_shows_who_linked_to_where_the_name_stands(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "Who said the traffickers were getting away with murder?")
    text = turn.locator(".answer-text").text_content()
    assert text.startswith("Answer: He [Boris Johnson] said"), text  # announced with its label
    assert turn.locator("mark.answer-span").inner_text() == "He"
    link = turn.locator("a.resolved")
    anchor = link.get_attribute("href").rsplit("#", 1)[1]
    assert re.fullmatch(r"p\d+", anchor)
    link.click()
    page.wait_for_selector(".para.cited mark.hit")
    assert page.locator(".para.cited").get_attribute("id") == anchor
    assert page.locator(".para.cited mark.hit").first.inner_text() == "Boris Johnson"
    _local_only(page)


UK_FRANCE = "UK and France agree to keep all options on the table after 27 die in the Channel"
JOHNSON = "Johnson urges France to step up efforts after 31 die when a migrant boat capsizes"


@ON_DESKTOP_AND_PHONE
def test_each_disagreeing_value_shows_its_quote_its_source_and_its_revision(server, browser, viewport):
    s = server()
    with _page_in(browser, viewport) as pg:
        pg.goto(s.url)
        turn = _ask(pg, "How many people died?")
        callout = turn.locator(".callout")
        assert "Sources disagree" in callout.inner_text()
        items = {li.locator(".value").inner_text(): li for li in callout.locator("li.disagree-value").all()}
        assert sorted(items) == ["27", "31"]
        # the sentence the server quotes for each value, not one guessed from the passage
        assert items["27"].locator(".figure").inner_text() == "27 died"
        assert items["27"].locator(".quote q").inner_text() == "The French regional maritime authority said 27 people had died."
        assert items["27"].locator(".from cite").all_inner_texts() == [UK_FRANCE]
        assert items["31"].locator(".figure").inner_text() == "31 died · revised from 31 to 27"
        assert items["31"].locator(".quote q").inner_text() == \
            "Authorities found 31 bodies and two survivors while one person was missing."
        assert items["31"].locator(".from cite").all_inner_texts() == [JOHNSON]
        revision = items["31"].locator(".revision")
        assert revision.inner_text().startswith("Revised from 31 to 27: ")
        assert revision.locator("q").inner_text().startswith("French officials had previously stated there were 31 deaths")
        assert "stated in" not in callout.inner_text()  # each value has one document here
        # the quote's citation opens its paragraph with that sentence marked
        items["31"].locator(".quote a.cite").click()
        marked = pg.locator("#evidence .evidence-para.cited mark.answer-sentence")
        marked.first.wait_for()
        assert "".join(marked.all_inner_texts()) == "Authorities found 31 bodies and two survivors while one person was missing."
        pg.keyboard.press("Escape")
        assert items["31"].locator(".quote a.cite").evaluate("e => e === document.activeElement")
        pg.click("#new-chat")  # asked alone (after the deaths the server answers it with another sentence)
        turn = _ask(pg, "How many people were on the boat?")
        assert "34" in turn.locator(".answer-text").inner_text() and turn.locator(".callout").count() == 0
        assert pg.evaluate("document.documentElement.scrollWidth <= innerWidth")
        _local_only(pg)


def test_a_value_stated_in_two_documents_says_so(server, page, corpus):
    (corpus / "coastguard-update.md").write_text("# Coastguard update on the Channel sinking\n\n"
                                                 "The coastguard said 27 people had died when the dinghy sank off Calais.\n")
    s = server()
    page.goto(s.url)
    turn = _ask(page, "How many people died?")
    items = {li.locator(".value").inner_text(): li for li in turn.locator(".callout li.disagree-value").all()}
    assert items["27"].locator(".figure").inner_text() == "27 died · stated in 2 documents"
    assert items["27"].locator(".from cite").all_inner_texts() == [UK_FRANCE, "Coastguard update on the Channel sinking"]
    assert "stated in" not in items["31"].inner_text()


def test_unanswerable_question_says_so_plainly(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "Who won the 1998 World Cup?")
    assert "don't answer this" in turn.locator(".no-answer").inner_text()
    assert turn.locator(".answer-text").count() == 0


@ON_DESKTOP_AND_PHONE
def test_a_question_over_the_limit_is_refused_in_words_never_cut(server, browser, viewport):
    s = server()
    with _page_in(browser, viewport) as pg:
        pg.goto(s.url)
        _ready(pg)
        asked = []
        pg.on("request", lambda r: "/api/ask" in r.url and asked.append(r))
        pasted = "Background: " + "the crossing " * 80 + "How many survivors?"  # the question at its end
        assert len(pasted) == 1071
        pg.fill("#question", pasted)
        assert pg.input_value("#question") == pasted  # all of it, not cut at 1,000
        assert pg.inner_text("#counter") == "1,071 / 1,000 (71 too many)"
        pg.keyboard.press("Enter")
        problem = pg.locator("#ask-problem")
        assert problem.inner_text() == ("Your question is too long: 1,071 characters, and the limit is 1,000. "
                                        "Shorten it by 71 characters, then send it.")
        assert _in_view(problem)
        assert asked == [] and pg.locator(".turn").count() == 0 and pg.input_value("#question") == pasted
        pg.fill("#question", "how many survivors " + "x" * 981)  # exactly 1,000 are accepted
        assert pg.inner_text("#counter") == "1,000 / 1,000" and problem.inner_text() == ""
        pg.keyboard.press("Enter")
        pg.locator(".turn .answer, .turn .error").first.wait_for()
        assert pg.locator(".turn .error").count() == 0 and len(asked) == 1


@ON_DESKTOP_AND_PHONE
def test_read_as_is_shown_and_the_question_can_be_asked_without_the_conversation(server, browser, viewport):
    s = server()
    with _page_in(browser, viewport) as pg:
        pg.goto(s.url)
        first = _ask(pg, "Who is the mayor of Calais?")
        assert first.locator(".read-as").count() == 0  # read as asked: nothing to say
        turn = _ask(pg, "What did she say?")
        assert turn.locator(".read-as q").inner_text() == "What did Natacha Bouchart say?"
        assert turn.locator(".read-as").inner_text().startswith("Read as: ")
        with pg.expect_request("**/api/ask") as request_info:
            turn.get_by_role("button", name="Ask without the conversation: “What did she say?”").click()
            alone = pg.locator(".turn").nth(2)
            alone.locator(".answer").wait_for()
        sent = json.loads(request_info.value.post_data)
        assert sent["question"] == "What did she say?" and sent["history"] == []
        # a new turn of the same conversation, marked as asked on its own
        assert pg.locator(".turn").count() == 3 and _conversations_pane(pg).locator(".conversation-item").count() == 1
        assert alone.locator(".turn-note.alone").inner_text() == \
            "Asked without the conversation; follow-ups continue from this answer."
        assert alone.locator(".read-as").count() == 0
        alone_answer = alone.locator(".answer-text").inner_text().removeprefix("Answer:").strip()
        # the next follow-up continues from that answer: its history starts there (the server would read
        # "What did she say?" after the mayor's answer as her again)
        with pg.expect_request("**/api/ask") as request_info:
            _ask(pg, "What else did he say?")
        history = json.loads(request_info.value.post_data)["history"]
        assert [h["question"] for h in history] == ["What did she say?"]
        assert alone_answer.startswith(history[0]["answer"])
        pg.reload()
        assert pg.locator(".turn").nth(2).locator(".turn-note.alone").count() == 1  # kept with the conversation
        _local_only(pg)


def test_a_stated_reason_is_shown_instead_of_the_generic_no_answer(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "What did Priti Patel say?")
    assert turn.locator(".no-answer").inner_text() == "The documents don't quote Priti Patel. These are the nearest passages."
    assert turn.locator(".passage").count() >= 1 and turn.locator(".answer-text").count() == 0
    _ask(page, "How many people died?")
    turn = _ask(page, "Why?")
    assert turn.locator(".no-answer").inner_text().startswith("The documents give no reason for that.")
    assert "don't answer this" not in page.inner_text("#thread")


def test_the_speaker_stands_beside_the_quote_linked_to_where_the_name_is(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "how many survivors")  # not reported speech: no speaker
    assert turn.locator(".answer-speaker").count() == 0
    turn = _ask(page, "Who is the mayor of Calais?")
    speaker = turn.locator(".answer-speaker")
    assert speaker.locator("a").inner_text() == "Natacha Bouchart" and speaker.inner_text().endswith("Natacha Bouchart:")
    assert speaker.evaluate("(e) => e.nextElementSibling.classList.contains('answer-text')")  # right before the quote
    speaker.locator("a").click()
    page.wait_for_selector(".para.cited mark.hit")
    assert page.locator(".para.cited").get_attribute("id") == "p15"
    assert page.locator(".para.cited mark.hit").all_inner_texts() == ["Natacha Bouchart"]
    _local_only(page)


@pytest.mark.parametrize("viewport, leave", [(DESKTOP, "switch"), (PHONE, "new chat")], ids=["desktop-switch", "phone-new-chat"])
def test_an_answer_pending_during_a_switch_lands_in_its_own_conversation(server, browser, viewport, leave):
    s = server()
    with _page_in(browser, viewport) as pg:
        pg.goto(s.url)
        _ready(pg)
        _ask(pg, "how many survivors")  # conversation A
        pg.click("#new-chat")  # conversation B
        with _hung(s):
            pg.fill("#question", "How many people died?")
            pg.keyboard.press("Enter")
            pg.locator(".turn.pending .loading").wait_for()
            assert pg.locator("#send").is_disabled()
            items = _conversations_pane(pg).locator(".conversation-item")
            if leave == "switch":
                items.filter(has_text="how many survivors").locator(".open-conversation").click()
                questions = pg.locator(".turn .question").all_inner_texts()
                assert len(questions) == 1 and questions[0].endswith("how many survivors")
            else:
                pg.click("#new-chat")  # B has no answer yet, but it is not empty: a third conversation
                assert items.count() == 3 and pg.locator(".turn").count() == 0
            assert pg.locator(".turn.pending").count() == 0 and pg.locator("#send").is_enabled()
            waiting = items.filter(has_text="How many people died?")
            assert waiting.locator(".conversation-state").inner_text() == "Waiting for an answer…"
        notice = pg.locator("#elsewhere")
        notice.get_by_role("button", name="Open it").wait_for()
        assert notice.inner_text().startswith("The answer to “How many people died?” arrived in the conversation “How many people died?”.")
        assert _in_view(notice)
        assert waiting.locator(".conversation-state").inner_text() == "New answer"
        stored = {c["turns"][0]["question"] if c["turns"] else "": [t["question"] for t in c["turns"]]
                  for c in json.loads(pg.evaluate("localStorage.getItem('docqa.conversations.v1')"))}
        assert stored["how many survivors"] == ["how many survivors"]  # A did not get it
        assert stored["How many people died?"] == ["How many people died?"]  # B did
        assert pg.locator(".turn .answer").count() == (1 if leave == "switch" else 0)  # nothing added here
        notice.get_by_role("button", name="Open it").click()
        assert "27" in pg.locator(".turn .answer-text").inner_text() and notice.inner_text() == ""
        assert waiting.locator(".conversation-state").inner_text() == "1 question"


@ON_DESKTOP_AND_PHONE
def test_a_hung_server_is_said_with_retry_and_cancel_and_the_question_kept(server, browser, viewport):
    s = server()
    with _page_in(browser, viewport, ask_timeout_seconds=2) as pg:
        pg.goto(s.url)
        _ready(pg)
        with _hung(s):
            pg.fill("#question", "how many survivors")
            pg.keyboard.press("Enter")
            pg.locator(".turn.pending .loading").wait_for()
            error = pg.locator(".turn.pending .error")
            error.wait_for(timeout=10_000)
            assert error.inner_text().startswith("The server has not answered in 2 seconds: it may be busy or stuck.")
            assert pg.input_value("#question") == "how many survivors" and pg.locator("#send").is_enabled()
            assert pg.locator(".loading").count() == 0
            error.get_by_role("button", name="Cancel").click()
            assert pg.locator(".turn").count() == 0 and pg.input_value("#question") == "how many survivors"
            assert pg.evaluate("document.activeElement.id") == "question"
            pg.keyboard.press("Enter")  # asked again, still hung
            error.wait_for(timeout=10_000)
            assert pg.input_value("#question") == "how many survivors"
        error.get_by_role("button", name="Retry").click()  # the server answers again
        answered = pg.locator(".turn").last
        answered.locator(".answer").wait_for()
        assert "two survivors" in answered.inner_text() and pg.input_value("#question") == ""
        assert pg.locator(".turn").count() == 1


@ON_DESKTOP_AND_PHONE
def test_conversation_titles_show_whole_and_search_finds_words_of_answers(server, browser, viewport):
    s = server()
    with _page_in(browser, viewport) as pg:
        pg.goto(s.url)
        long_question = "How many people died " + "in the English Channel off the coast of northern France " * 4 + "?"
        for question in ("How many people died?", "How many people were on the boat?", long_question):
            _ask(pg, question)
            pg.click("#new-chat")
        titles = _conversations_pane(pg).locator(".conversation-item .open-conversation")
        for question in ("How many people died?", "How many people were on the boat?"):
            title = titles.filter(has_text=question).first
            assert title.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight"), question
            assert title.get_attribute("title") == question
        clipped = titles.filter(has_text="northern France").first
        assert clipped.get_attribute("title") == long_question  # the whole title on hover
        assert clipped.evaluate("e => e.getBoundingClientRect().width") > 0.8 * clipped.evaluate(
            "e => e.closest('.conversation-list').getBoundingClientRect().width")
        # search finds words of answers, not only of titles and questions
        pg.fill("#conversation-search", "maritime")  # in the answer to "How many people died?"
        assert titles.all_inner_texts() == ["How many people died?"]
        pg.fill("#conversation-search", "believed")  # in the answer about the boat
        assert titles.all_inner_texts() == ["How many people were on the boat?"]
        pg.fill("#conversation-search", "nothing-like-this")
        assert titles.count() == 0 and "No conversation matches." in pg.inner_text("#conversation-list")


def test_markup_in_documents_is_shown_as_text_and_never_runs(server, page, corpus):
    evil = ('Harbour report <script>window.__xss = 1</script> and <img src=x onerror="window.__xss = 2"> '
            'about the lighthouse keeper.')
    (corpus / "evil.txt").write_text(evil)
    s = server()
    page.goto(s.url)
    turn = _ask(page, "lighthouse keeper harbour report")
    assert "<script>window.__xss = 1</script>" in turn.inner_text()
    assert turn.locator("script, img").count() == 0
    page.goto(f"{s.url}/documents/evil#p1")
    assert "<img src=x onerror=" in page.locator("#p1").inner_text()
    assert page.evaluate("window.__xss") is None
    _local_only(page)


def test_security_headers_and_narrow_screen(server, browser):
    s = server()
    context = browser.new_context(viewport={"width": 390, "height": 800})
    pg = context.new_page()
    response = pg.goto(s.url)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    pg.fill("#question", "how many survivors")
    pg.click("#send")
    pg.wait_for_selector(".answer-text")
    assert pg.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert pg.get_attribute("[role=log]", "aria-live") == "polite"
    assert pg.locator("label[for=question]").count() == 1
    context.close()


def test_a_pdf_answer_cites_its_page_and_opens_there(server, page, corpus):
    from tests.made_files import PAGE_3_FACT, report_pdf

    (corpus / "harbour-report.pdf").write_bytes(report_pdf())
    s = server()
    page.goto(s.url)
    turn = _ask(page, "Who is the lighthouse keeper appointed in March?")
    assert "Margaret Ellison" in turn.locator(".answer-text").inner_text()
    assert turn.locator(".answer-source").inner_text().endswith(", page 3")
    turn.locator(".answer-text a.cite").click()
    evidence = page.locator("#evidence .evidence-para.cited")
    evidence.wait_for()
    assert evidence.locator(".meta").inner_text().endswith("p. 3")
    page.get_by_text("Open in the document").click()
    page.wait_for_selector(".para.cited")
    cited = page.locator(".para.cited")
    assert PAGE_3_FACT in cited.inner_text() and cited.get_attribute("data-pages") == "3"
    markers = page.locator(".page-marker")
    assert markers.all_inner_texts() == ["Page 1", "Page 2", "Page 3", "Page 4"]
    # the marker of page 3 stands before the cited paragraph, and the one of page 4 after it
    assert page.evaluate("""() => {
        const cited = document.querySelector('.para.cited');
        const before = (m) => m.compareDocumentPosition(cited) & Node.DOCUMENT_POSITION_FOLLOWING;
        return [...document.querySelectorAll('.page-marker')].map(before).map(Boolean);
    }""") == [True, True, True, False]
    assert cited.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    download = page.locator("a[download]")
    assert download.get_attribute("href") == "/documents/harbour-report/original"
    _local_only(page)


def _under_the_input_box(pg, selector):
    """Whether the last `selector` on the page is hidden under the (sticky) input box."""
    return pg.evaluate("""(selector) => {
        const all = document.querySelectorAll(selector);
        const r = all[all.length - 1].getBoundingClientRect();
        const box = document.querySelector('#ask').getBoundingClientRect();
        return r.bottom > box.top || r.bottom > innerHeight;
    }""", selector)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_nothing_hides_under_the_input_box_and_a_reload_opens_at_the_newest_turn(server, browser, viewport):
    s = server()
    context = browser.new_context(viewport=viewport)
    pg = context.new_page()
    pg.goto(s.url)
    for question in ("how many survivors", "How many people died?", "Who is the mayor of Calais?"):
        before = pg.locator(".turn").count()
        pg.fill("#question", question)
        pg.keyboard.press("Enter")
        pg.locator(".turn").nth(before).locator(".answer").wait_for()
        assert not _under_the_input_box(pg, ".turn .actions"), question  # the Copy button of the newest answer
        assert not _under_the_input_box(pg, "details.sources summary"), question
    pg.reload()
    pg.locator(".turn .answer").first.wait_for()
    assert not _under_the_input_box(pg, ".turn .actions")
    # one h1; list items only inside lists; the live region is not the list; tap targets of citations >= 24 px
    assert pg.locator("h1").count() == 1
    assert pg.evaluate("[...document.querySelectorAll('li')].every(li => ['UL', 'OL'].includes(li.parentElement.tagName))")
    assert pg.locator("ol[role]").count() == 0
    sizes = pg.evaluate("[...document.querySelectorAll('a.cite')].map(a => a.getBoundingClientRect()).map(r => [r.width, r.height])")
    assert sizes and all(w >= 24 and h >= 24 for w, h in sizes)
    context.close()


def test_an_error_keeps_the_question_with_a_retry_and_the_counter_matches_the_server(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "the of and")  # nothing searchable: 422
    assert turn.locator(".error").count() == 1 and page.input_value("#question") == "the of and"
    assert turn.locator("button.retry").count() == 1
    limit = page.evaluate("fetch('/api/openapi.json').then(r => r.json())"
                          ".then(d => d.components.schemas.AskRequest.properties.question.maxLength)")
    assert page.get_attribute("#question", "data-max-chars") == str(limit)
    assert page.get_attribute("#question", "maxlength") is None  # a longer paste is let in, counted and refused
    page.fill("#question", "x" * (limit - 10))
    page.dispatch_event("#question", "input")
    assert page.inner_text("#counter") == f"{limit - 10:,} / {limit:,}"
    page.fill("#question", "how many survivors")
    page.dispatch_event("#question", "input")
    assert page.inner_text("#counter") == ""
    # a server that went away: the question stays, and Retry asks again once it is back
    page.route("**/api/ask", lambda route: route.abort())
    page.keyboard.press("Enter")  # a new question takes the place of the unanswered one
    failed = page.locator(".turn").last
    failed.get_by_text("Can't reach").wait_for()
    assert page.locator(".turn").count() == 1 and "the of and" not in page.inner_text("#thread")
    assert page.input_value("#question") == "how many survivors"
    page.unroute("**/api/ask")
    failed.locator("button.retry").click()
    answered = page.locator(".turn").last
    answered.locator(".answer").wait_for()
    assert "two survivors" in answered.inner_text() and page.input_value("#question") == ""


def test_conversations_are_kept_renamed_searched_and_deleted_with_undo(server, page):
    s = server()
    page.on("dialog", lambda dialog: dialog.accept("Calais questions" if dialog.type == "prompt" else None))
    page.goto(s.url)
    items = page.locator(".conversation-item")
    _ask(page, "how many survivors")
    _ask(page, "Where are they being treated?")
    page.click("#new-chat")  # a new conversation; the first is kept in the list
    assert page.locator(".turn").count() == 0 and items.count() == 2
    _ask(page, "Who is the mayor of Calais?")
    assert items.first.locator(".open-conversation").inner_text() == "Who is the mayor of Calais?"
    items.first.get_by_role("button", name="Rename").click()
    assert items.first.locator(".open-conversation").inner_text() == "Calais questions"
    page.fill("#conversation-search", "treated")  # searches the questions too
    assert items.count() == 1 and items.first.inner_text().startswith("how many survivors")
    items.first.locator(".open-conversation").click()
    assert page.locator(".turn .question").all_inner_texts()[-1].endswith("Where are they being treated?")
    page.fill("#conversation-search", "")
    page.reload()  # all kept, the one open stays open
    assert items.count() == 2 and page.locator(".turn").count() == 2
    page.locator(".conversation-item.current").get_by_role("button", name="Delete").click()
    assert items.count() == 1 and page.is_visible("#undo") and page.locator(".turn .question").inner_text().endswith("Calais?")
    page.click("#undo-button")
    assert items.count() == 2 and not page.is_visible("#undo")
    assert page.locator(".turn").count() == 2  # the restored conversation is open again


def test_pages_are_html_for_browsers(server, page):
    s = server()
    page.goto(s.url)
    page.click("text=Documents")
    page.wait_for_url("**/documents")
    titles = page.locator(".doc-list a").all_inner_texts()
    assert len(titles) == 2 and any("27 die" in t for t in titles)
    response = page.goto(f"{s.url}/documents/no-such-document")
    assert response.status == 404 and "html" in response.headers["content-type"]
    assert page.locator("h1").inner_text() == "Document not found" and "no-such-document" in page.inner_text("main")
    assert all(h.startswith("127.0.0.1") for h in page.hosts) and all("404" in e for e in page.console_errors)


def test_the_sources_pane_lists_filters_and_limits_the_documents(server, page):
    s = server()
    page.goto(s.url)
    pane = page.locator("#sources")
    pane.locator(".source-item").first.wait_for()
    assert pane.locator(".source-item").count() == 2 and "(2 of 2)" in page.inner_text("#sources-summary")
    page.fill("#source-filter", "options table")
    assert pane.locator(".source-item").count() == 1
    page.fill("#source-filter", "")
    johnson = pane.locator(".source-item", has_text="Johnson urges France")
    johnson.locator("input").uncheck()
    assert "(1 of 2)" in page.inner_text("#sources-summary")
    with page.expect_request("**/api/ask") as request_info:
        turn = _ask(page, "How many people died?")
    assert json.loads(request_info.value.post_data)["documents"] == ["uk-france-keep-all-options-on-the-table"]
    assert turn.locator(".scope").inner_text() == f"Searched 1 of 2 documents: {UK_FRANCE}."
    assert turn.locator(".callout").count() == 0  # one document left: nothing to disagree with
    assert set(turn.locator(".passage .source a:not(.cite)").all_text_contents()) == {
        "UK and France agree to keep all options on the table after 27 die in the Channel"}
    page.reload()  # the choice is kept
    pane.locator(".source-item").first.wait_for()
    assert not johnson.locator("input").is_checked()
    # nothing ticked: said in words, and nothing sent
    pane.locator(".source-item", has_text="UK and France agree").locator("input").uncheck()
    asked = []
    page.on("request", lambda r: "/api/ask" in r.url and asked.append(r))
    page.fill("#question", "how many survivors")
    page.keyboard.press("Enter")
    problem = page.locator("#ask-problem")
    assert problem.inner_text().startswith("No document is ticked in Sources, so there is nothing to search.")
    assert asked == [] and page.input_value("#question") == "how many survivors" and page.locator(".turn").count() == 1
    problem.get_by_role("button", name="Use all documents").click()
    assert "(2 of 2)" in page.inner_text("#sources-summary") and problem.inner_text() == ""
    with page.expect_request("**/api/ask") as request_info:
        page.keyboard.press("Enter")
        turn = page.locator(".turn").nth(1)
        turn.locator(".answer").wait_for()
    assert json.loads(request_info.value.post_data)["documents"] is None
    assert turn.locator(".scope").inner_text() == "Searched all 2 documents."
    _local_only(page)


def test_on_a_phone_the_evidence_is_a_sheet_over_the_chat(server, browser):
    s = server()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    pg = context.new_page()
    pg.goto(s.url)
    assert pg.locator("#sources").get_attribute("open") is None  # the sources sheet starts closed
    pg.fill("#question", "how many survivors")
    pg.keyboard.press("Enter")
    pg.locator(".answer-text a.cite").click()
    sheet = pg.locator("#evidence")
    sheet.locator(".evidence-para.cited").wait_for()
    box = sheet.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    assert pg.evaluate("document.documentElement.scrollWidth <= innerWidth")
    pg.click("#evidence-close")
    assert sheet.is_hidden()
    assert pg.locator(".answer-text a.cite").evaluate("e => e === document.activeElement")
    context.close()


def test_documents_are_added_and_removed_from_the_sources_pane_with_the_token(server, page, tmp_path):
    token = "correct-horse-battery"
    s = server(env={"DOCQA_API_TOKEN": token})
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept(token if dialog.type == "prompt" else None)

    page.on("dialog", answer)
    page.goto(s.url)
    pane = page.locator("#sources")
    pane.locator(".source-item").first.wait_for()
    note = tmp_path / "lifeboats.md"
    note.write_text("---\ntitle: Lifeboat log\n---\nThe Dunkirk lifeboat launched nine times in November.\n")
    page.set_input_files("#source-file", str(note))
    pane.locator(".source-item", has_text="Lifeboat log").wait_for()
    assert "added" in page.inner_text("#source-status") and asked == ["prompt"]
    turn = _ask(page, "How many times did the Dunkirk lifeboat launch?")
    assert "nine times" in turn.locator(".answer-text").inner_text()
    pane.locator(".source-item", has_text="Lifeboat log").locator("button.remove").click()
    pane.locator(".source-item", has_text="Lifeboat log").wait_for(state="detached")
    assert asked == ["prompt", "confirm"]  # the token was asked once and kept for the tab
    assert page.evaluate("sessionStorage.getItem('docqa.token')") == token
    assert page.evaluate("localStorage.getItem('docqa.token')") is None
    _local_only(page)


def test_a_refused_token_is_said_before_asking_again_and_the_status_is_in_view(server, page, corpus, tmp_path):
    for n in range(30):  # a long list of documents, so the pane scrolls
        (corpus / f"note-{n:02}.md").write_text(f"# Harbour note {n}\n\nThe harbour log entry number {n}.\n")
    token = "correct-horse-battery"
    s = server(env={"DOCQA_API_TOKEN": token})
    prompts = []

    def answer(dialog):
        prompts.append(dialog.message)
        dialog.accept("wrong-token" if len(prompts) == 1 else token)

    page.set_viewport_size(DESKTOP)
    page.on("dialog", answer)
    page.goto(s.url)
    pane = page.locator("#sources")
    pane.locator(".source-item").nth(31).wait_for()
    note = tmp_path / "lifeboats.md"
    note.write_text("---\ntitle: Lifeboat log\n---\nThe Dunkirk lifeboat launched nine times in November.\n")
    page.set_input_files("#source-file", str(note))
    pane.locator(".source-item", has_text="Lifeboat log").wait_for()
    assert len(prompts) == 2 and "refused" not in prompts[0]
    assert prompts[1].startswith("The server refused that token.")
    status = page.locator("#source-status")
    assert status.inner_text() == "lifeboats.md added: 1 paragraph, searchable now."
    assert _in_view(status)  # not at the foot of a list of 33 documents


def test_without_a_token_the_page_offers_no_writes(server, page):
    s = server()
    page.goto(s.url)
    page.locator("#sources .source-item").first.wait_for()
    assert page.locator("#source-writes").is_hidden() and page.locator("button.remove").count() == 0


AXE = REPO / ".venv" / "axe-core" / "axe.min.js"


def _axe_violations(pg):
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


@pytest.mark.parametrize("viewport, scheme", [({"width": 1280, "height": 800}, "light"),
                                              ({"width": 390, "height": 844}, "dark")], ids=["desktop-light", "phone-dark"])
def test_axe_finds_no_accessibility_violations(server, browser, viewport, scheme):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` fetches axe-core {AXE.parent.name} from the npm registry")
    s = server()
    # bypass_csp only to inject axe; the page's own CSP is tested above
    context = browser.new_context(viewport=viewport, bypass_csp=True, color_scheme=scheme)
    pg = context.new_page()
    pg.goto(s.url)
    pg.locator("#sources .source-item").first.wait_for(state="attached")
    assert _axe_violations(pg) == []
    for question in ("how many survivors", "How many people died?"):
        before = pg.locator(".turn").count()
        pg.fill("#question", question)
        pg.keyboard.press("Enter")
        pg.locator(".turn").nth(before).locator(".answer").wait_for()
    pg.locator(".turn").last.locator(".answer-text a.cite").click()
    pg.locator("#evidence .evidence-para.cited").wait_for()
    assert _axe_violations(pg) == []
    for path in ("/documents", "/documents/uk-france-keep-all-options-on-the-table?s=0-20#p5", "/documents/missing"):
        pg.goto(s.url + path, wait_until="load")
        assert _axe_violations(pg) == [], path
    context.close()
