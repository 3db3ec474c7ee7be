"""The chat and document pages in a real headless Chromium against a real server."""

import json

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]


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
    link.click()
    page.wait_for_selector(".para.cited")
    cited = page.locator(".para.cited")
    assert cited.get_attribute("id") == "p" + href.rsplit("#p", 1)[1]
    assert "two survivors" in cited.inner_text()
    assert cited.locator("mark.hit").first.inner_text().lower().startswith("survivor")
    assert cited.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    _local_only(page)


def test_follow_up_sends_history_and_finds_the_hospital(server, page):
    s = server()
    page.goto(s.url)
    _ask(page, "how many survivors")
    with page.expect_request("**/api/ask") as request_info:
        turn = _ask(page, "where are they being treated?")
    sent = json.loads(request_info.value.post_data)
    assert sent["history"][0]["question"] == "how many survivors" and "survivors" in sent["history"][0]["answer"]
    first = json.loads(page.evaluate("localStorage.getItem('docqa.chat.v1')"))[0]["response"]
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
    text = turn.locator(".answer-text").inner_text()
    assert text.startswith("He [Boris Johnson] said"), text
    assert turn.locator("mark.answer-span").inner_text() == "He"
    link = turn.locator("a.resolved")
    assert link.get_attribute("href").endswith("#p1")
    link.click()
    page.wait_for_selector(".para.cited mark.hit")
    assert page.locator(".para.cited").get_attribute("id") == "p1"
    assert page.locator(".para.cited mark.hit").first.inner_text() == "Boris Johnson"
    _local_only(page)


def test_disagreement_callout_lists_both_values(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "How many people died?")
    callout = turn.locator(".callout")
    assert "Sources disagree" in callout.inner_text()
    values = callout.locator(".value").all_inner_texts()
    assert "27" in values and "31" in values
    assert callout.locator("a.cite").count() >= 2


def test_unanswerable_question_says_so_plainly(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "Who won the 1998 World Cup?")
    assert "don't answer this" in turn.locator(".no-answer").inner_text()
    assert turn.locator(".answer-text").count() == 0


def test_too_long_question_shows_an_inline_error(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "why " * 300)
    error = turn.locator(".error")
    assert "too long" in error.inner_text() and "1,000" in error.inner_text()
    # the console shows the 422 response as a failed resource; nothing else may fail
    assert all("422" in e for e in page.console_errors)


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
    assert pg.get_attribute("#thread", "aria-live") == "polite"
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
