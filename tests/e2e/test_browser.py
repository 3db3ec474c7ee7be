"""The chat and document pages in a real headless Chromium against a real server."""

import json
import re

import pytest

from tests.conftest import REPO

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
    link.click()  # the evidence panel: the paragraph between its neighbours, sentence and span marked
    evidence = page.locator("#evidence")
    evidence.locator(".evidence-para.cited").wait_for()
    assert evidence.locator(".evidence-para").count() == 3
    assert evidence.locator(".cited mark.answer-span").inner_text() == "two"
    assert "Authorities found 31 bodies and" in evidence.locator(".cited mark.answer-sentence").first.inner_text()
    assert evidence.locator(".cited").evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    page.keyboard.press("Escape")
    assert evidence.is_hidden()
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


def test_disagreement_callout_lists_both_values(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "How many people died?")
    callout = turn.locator(".callout")
    assert "Sources disagree" in callout.inner_text()
    values = callout.locator(".value").all_inner_texts()
    assert "27" in values and "31" in values
    assert callout.locator("a.cite").count() >= 2
    # each side quoted with the document that says it
    items = {li.locator(".value").inner_text(): li for li in callout.locator("li").all()}
    assert "27 people had died" in items["27"].locator("q").first.inner_text()
    assert "UK and France agree" in items["27"].locator("cite").first.inner_text()
    assert "31" in items["31"].locator("q").first.inner_text()


def test_unanswerable_question_says_so_plainly(server, page):
    s = server()
    page.goto(s.url)
    turn = _ask(page, "Who won the 1998 World Cup?")
    assert "don't answer this" in turn.locator(".no-answer").inner_text()
    assert turn.locator(".answer-text").count() == 0


def test_the_box_takes_no_more_than_the_server_accepts(server, page):
    s = server()
    page.goto(s.url)
    page.fill("#question", "lighthouse " * 300)
    page.dispatch_event("#question", "input")
    assert len(page.input_value("#question")) == 1000
    assert page.inner_text("#counter") == "1,000 / 1,000"
    page.keyboard.press("Enter")
    page.locator(".turn .answer, .turn .error").first.wait_for()
    assert page.locator(".turn .error").count() == 0  # 1,000 characters are accepted


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
    assert page.get_attribute("#question", "maxlength") == str(limit)
    page.fill("#question", "x" * (limit - 10))
    page.dispatch_event("#question", "input")
    assert page.inner_text("#counter") == f"{limit - 10:,} / {limit:,}"
    page.fill("#question", "how many survivors")
    page.dispatch_event("#question", "input")
    assert page.inner_text("#counter") == ""
    # a server that went away: the question stays, and Retry asks again once it is back
    page.route("**/api/ask", lambda route: route.abort())
    failed = _ask(page, "how many survivors")
    assert "Can't reach" in failed.inner_text() and page.input_value("#question") == "how many survivors"
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
    assert turn.locator(".callout").count() == 0  # one document left: nothing to disagree with
    assert set(turn.locator(".passage .source a:not(.cite)").all_text_contents()) == {
        "UK and France agree to keep all options on the table after 27 die in the Channel"}
    page.reload()  # the choice is kept
    pane.locator(".source-item").first.wait_for()
    assert not johnson.locator("input").is_checked()
    page.click("#sources-all")
    with page.expect_request("**/api/ask") as request_info:
        _ask(page, "how many survivors")
    assert json.loads(request_info.value.post_data)["documents"] is None
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
