"""The chat and document pages in a real browser: headless Chromium against `rag serve` over
an index of corpus/news and corpus/laws.

One server (with a short question limit, to provoke a 422, and a write token, to add a
document) and one browser serve the module; the read-token test starts a second server
over the same index. Set
``RAG_SCREENSHOT=1`` to save the follow-up conversation as docs/chat.png.
"""

from __future__ import annotations

import base64
import os
from urllib.parse import urlsplit

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from browser import LOW_CONTRAST_JS, UNNAMED_CONTROLS_JS, chrome
from conftest import NEWS, ROOT
from servers import Server, build_index

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAWS = ROOT / "corpus" / "laws"
MAX_QUESTION_CHARS = 200
READ_TOKEN = "rtok-page-5Hq2"
WRITE_TOKEN = "wtok-page-8Lx4"
SEED_ID = "seoul-ai-foundation"
SEED_QUESTION = "서울디지털재단은 몇 년에 설립되었나?"
UNANSWERABLE = "서울AI재단의 2030년 예산은 얼마인가?"
COMMITTEE = "국가인공지능전략위원회는 몇 명으로 구성되나?"
FOLLOW_UP = "그럼 위원장은 누가 맡나?"
ABSTAINED_KO = "문서에서 답을 찾지 못했습니다"
ABSTAINED_EN = "The documents do not answer this."
WAIT = 120  # seconds: an answer takes well under one, but a loaded CI machine may be slow


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("pages") / "index", NEWS, LAWS)


@pytest.fixture(scope="module")
def server(index, tmp_path_factory):
    server = Server(index, tmp_path_factory.mktemp("pages-server") / "server.log",
                    RAG_MAX_QUESTION_CHARS=str(MAX_QUESTION_CHARS), RAG_API_TOKEN=WRITE_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chrome(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, server):
    """The chat page, freshly loaded (an empty conversation) at a desktop width."""
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.set_window_size(900, 1000)
    browser.get(server.url + "/chat")
    browser.get_log("browser")  # start each test with an empty console
    return browser


def _ask(driver, question: str) -> WebElement:
    """Type ``question`` and Enter; the reply bubble once it is there and the page is idle again."""
    before = len(driver.find_elements(By.CSS_SELECTOR, ".bubble.answer"))
    driver.find_element(By.ID, "question").send_keys(question + Keys.ENTER)
    return _reply(driver, before)


def _reply(driver, before: int) -> WebElement:
    WebDriverWait(driver, WAIT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".bubble.answer")) > before
        and d.find_element(By.ID, "send").is_enabled()
    )
    return driver.find_elements(By.CSS_SELECTOR, ".bubble.answer")[-1]


def _text(element: WebElement) -> str:
    """The exact text (Selenium's ``.text`` collapses whitespace)."""
    return element.get_property("textContent")


def _in_view(driver, element: WebElement) -> bool:
    return driver.execute_script(
        "const box = arguments[0].getBoundingClientRect();"
        "return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;", element)


# -- answers and citations -------------------------------------------------------------


def test_a_question_sent_with_enter_is_answered_with_the_answer_marked_in_its_quote(page):
    bubble = _ask(page, SEED_QUESTION)
    assert _text(bubble.find_element(By.CSS_SELECTOR, ".said")) == "2016년"
    assert _text(bubble.find_element(By.CSS_SELECTOR, ".citations .quote mark")) == "2016년"
    assert bubble.find_element(By.CSS_SELECTOR, ".meta").text.startswith("단답 · 신뢰도 ")
    assert bubble.find_element(By.CSS_SELECTOR, ".latency").text.endswith(" ms")
    assert not bubble.find_elements(By.CSS_SELECTOR, ".resolved")  # understood as typed
    user = page.find_elements(By.CSS_SELECTOR, ".bubble.user")[-1]
    assert user.text.endswith(SEED_QUESTION) and user.location["x"] > bubble.location["x"]  # user right, answer left


def test_the_citation_link_opens_the_document_at_the_quoted_span(page, server, api):
    citation = api.post("/v1/ask", json={"question": SEED_QUESTION}).json()["citations"][0]
    link = _ask(page, SEED_QUESTION).find_element(By.CSS_SELECTOR, ".citations a")
    href = link.get_dom_attribute("href")
    assert href == f"/documents/{SEED_ID}#{citation['start']}-{citation['end']}"
    page.get(server.url + href)
    mark = WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "cited"))
    document = api.get(f"/v1/documents/{SEED_ID}").json()
    assert _text(mark) == citation["quote"] == document["text"][citation["start"]:citation["end"]]
    assert _in_view(page, mark)
    body = page.find_element(By.ID, "text")
    assert _text(body) == document["text"] and body.value_of_css_property("white-space") == "pre-wrap"
    assert page.title == document["title"]

    # Deep in a statute the page has to scroll to show the span.
    statute = api.post("/v1/ask", json={"question": COMMITTEE}).json()["citations"][0]
    page.get(f"{server.url}/documents/{statute['doc_id']}#{statute['start']}-{statute['end']}")
    mark = WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "cited"))
    assert _text(mark) == statute["quote"]
    assert page.execute_script("return window.scrollY") > 0 and _in_view(page, mark)
    assert statute["section"] in page.find_element(By.ID, "status").text



def test_a_statute_citation_links_the_decree_articles_that_implement_it(page, server, api):
    citation = api.post("/v1/ask", json={"question": COMMITTEE}).json()["citations"][0]
    [first, *_] = citation["implemented_in"]  # the AI Basic Act's decree sets the committee out
    links = _ask(page, COMMITTEE).find_elements(By.CSS_SELECTOR, ".citations .implemented a")
    assert [_text(a) for a in links[:len(citation["implemented_in"])]] == [
        f"{r['title']} {r['section']}" for r in citation["implemented_in"]]
    href = links[0].get_dom_attribute("href")
    assert href == f"/documents/{first['doc_id']}#{first['start']}-{first['end']}"
    page.get(server.url + href)
    mark = WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "cited"))
    decree = api.get(f"/v1/documents/{first['doc_id']}").json()
    assert _text(mark) == decree["text"][first["start"]:first["end"]] and _text(mark).startswith(first["section"])

def test_the_document_page_counts_offsets_in_code_points_as_the_api_does(page, server):
    # Each emoji is one code point to the API and two UTF-16 units to JavaScript.
    text = "🙂 한빛시 소식 😀😀\n한빛시는 2031년 AI 센터를 열었다. 센터장은 김한빛이다."
    with server.client(WRITE_TOKEN) as writer:
        assert writer.post("/v1/documents", json={"id": "emoji-news", "title": "한빛시 소식", "text": text}).is_success
        try:
            stored = writer.get("/v1/documents/emoji-news").json()["text"]
            start, end = stored.index("한빛시는"), stored.index("센터장은")
            page.get(f"{server.url}/documents/emoji-news#{start}-{end}")
            mark = WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "cited"))
            assert _text(mark) == stored[start:end] == "한빛시는 2031년 AI 센터를 열었다. "
        finally:
            writer.delete("/v1/documents/emoji-news")


def test_an_unanswerable_question_gets_the_abstention_bubble(page, api):
    assert api.post("/v1/ask", json={"question": UNANSWERABLE}).json()["abstained"]
    bubble = _ask(page, UNANSWERABLE)
    assert _text(bubble.find_element(By.CSS_SELECTOR, ".said")) == ABSTAINED_KO
    assert not bubble.find_elements(By.CSS_SELECTOR, ".citations")
    assert not bubble.find_elements(By.CSS_SELECTOR, ".unindexed")


def test_a_question_about_a_statute_not_indexed_says_which(page, api):
    question = "근로기준법상 연차휴가는 며칠인가요?"
    assert api.post("/v1/ask", json={"question": question}).json()["unindexed_statutes"] == ["근로기준법"]
    bubble = _ask(page, question)
    assert _text(bubble.find_element(By.CSS_SELECTOR, ".said")) == ABSTAINED_KO
    assert _text(bubble.find_element(By.CSS_SELECTOR, ".unindexed")) == "「근로기준법」은(는) 색인된 문서에 없는 법령입니다."


def test_a_follow_up_is_answered_through_the_conversation_history(page):
    first = _ask(page, COMMITTEE)
    assert first.find_element(By.CSS_SELECTOR, ".said").text
    second = _ask(page, FOLLOW_UP)
    resolved = second.find_elements(By.CSS_SELECTOR, ".resolved")
    assert resolved and "국가인공지능전략위원회" in resolved[0].text, second.text
    assert resolved[0].text.startswith("이렇게 이해했습니다: ")
    assert ABSTAINED_KO not in second.text and second.find_elements(By.CSS_SELECTOR, ".citations mark")
    if os.environ.get("RAG_SCREENSHOT") == "1":
        _save_screenshot(page)


def _save_screenshot(driver) -> None:
    """The whole conversation in a window as tall as the page, for the README's picture of the chat."""
    driver.execute_script("document.activeElement.blur()")  # no focus ring in the picture
    height = driver.execute_script("return document.documentElement.scrollHeight")
    # A viewport as tall as the page, so the sticky composer rests below the log, not over it.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 900, "height": height, "deviceScaleFactor": 1, "mobile": False})
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    path = ROOT / "docs" / "chat.png"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def test_each_request_sends_the_last_six_turns_and_a_new_conversation_forgets_them(page):
    # Record what the page sends: window.fetch is looked up on every call.
    page.execute_script(
        "window.sent = []; const original = window.fetch;"
        "window.fetch = (url, init) => { window.sent.push(JSON.parse(init.body)); return original(url, init); };")
    questions = [SEED_QUESTION, COMMITTEE, UNANSWERABLE, SEED_QUESTION, COMMITTEE, UNANSWERABLE, SEED_QUESTION,
                 COMMITTEE]
    answers = []
    for question in questions:
        bubble = _ask(page, question)
        assert "error" not in bubble.get_attribute("class"), bubble.text
        answers.append(None if ABSTAINED_KO in bubble.text else _text(bubble.find_element(By.CSS_SELECTOR, ".said")))
    sent = page.execute_script("return window.sent")
    assert "history" not in sent[0]
    for n, body in enumerate(sent[1:], start=1):
        expected = [{"question": q, "answer": a} for q, a in zip(questions[:n], answers[:n], strict=True)][-6:]
        assert body == {"question": questions[n], "history": expected}
    page.find_element(By.ID, "new-conversation").click()
    assert not page.find_elements(By.CSS_SELECTOR, "#log > *")
    _ask(page, SEED_QUESTION)
    assert page.execute_script("return window.sent.at(-1)") == {"question": SEED_QUESTION}


# -- layout, origin, accessibility -------------------------------------------------------


def test_a_long_passage_fits_a_360_pixel_screen(page):
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                         {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True})
    page.refresh()
    bubble = _ask(page, "고영향 인공지능이란?")
    assert bubble.find_element(By.CSS_SELECTOR, ".meta").text.startswith("정의")
    assert len(_text(bubble.find_element(By.CSS_SELECTOR, ".said"))) > 200
    bubble.find_element(By.CSS_SELECTOR, "summary").click()  # the folded sources too
    widths = page.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[1] == 360 and widths[0] <= widths[1], widths


def test_the_page_talks_only_to_its_own_origin_under_a_content_security_policy(page, server, api):
    _ask(page, SEED_QUESTION)
    _ask(page, UNANSWERABLE)
    page.find_element(By.CSS_SELECTOR, ".citations a").click()  # the document page, in a new tab
    page.switch_to.window(page.window_handles[-1])
    WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "cited"))
    for handle in page.window_handles:
        page.switch_to.window(handle)
        entries = page.execute_script(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".map(e => e.name)")
        assert len(entries) > 3 and all(urlsplit(url)._replace(path="", query="", fragment="").geturl() == server.url
                                        for url in entries), entries
    problems = [entry["message"] for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert not problems, problems  # among them any Content-Security-Policy violation
    page.close()
    page.switch_to.window(page.window_handles[0])
    for path in ("/", "/chat", f"/documents/{SEED_ID}", "/static/chat.js"):
        assert "default-src 'self'" in api.get(path).headers["content-security-policy"], path


def test_every_control_is_named_the_keyboard_suffices_and_text_contrast_is_at_least_4_5(page):
    page.find_element(By.TAG_NAME, "body").click()  # from the start of the page
    keys = ActionChains(page)
    for _ in range(5):
        if page.switch_to.active_element.get_attribute("id") == "question":
            break
        keys.send_keys(Keys.TAB).perform()
    focused = page.switch_to.active_element
    assert focused.get_attribute("id") == "question", "Tab from the page start never reached the question"
    assert focused.value_of_css_property("outline-style") == "solid"  # focus is visible
    ActionChains(page).send_keys("첫 줄").key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    assert focused.get_property("value") == "첫 줄\n" and not page.find_elements(By.CSS_SELECTOR, ".bubble")
    keys = ActionChains(page).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(Keys.BACKSPACE)
    keys.send_keys(SEED_QUESTION, Keys.ENTER).perform()
    bubble = _reply(page, 0)
    assert _text(bubble.find_element(By.CSS_SELECTOR, ".said")) == "2016년"
    assert page.switch_to.active_element.get_attribute("id") == "question"  # ready for the next one

    assert page.find_element(By.ID, "log").get_attribute("aria-live") == "polite"
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ko"
    names = page.execute_script(UNNAMED_CONTROLS_JS)
    assert names["count"] > 5 and not names["unnamed"], names
    for control in page.find_elements(By.CSS_SELECTOR, "input, textarea, button, select, a"):
        if control.is_displayed():
            assert control.accessible_name.strip(), control.get_attribute("outerHTML")
    bubble.find_element(By.CSS_SELECTOR, "summary").click()
    contrast = page.execute_script(LOW_CONTRAST_JS)
    assert contrast["checked"] > 10 and not contrast["low"], contrast


# -- errors, languages, tokens ------------------------------------------------------------


def test_errors_are_said_in_words(page, api):
    too_long = "서울디지털재단은 " * 30
    message = api.post("/v1/ask", json={"question": too_long.strip()}).json()["error"]["message"]
    bubble = _ask(page, too_long)
    assert "error" in bubble.get_attribute("class") and message in bubble.text
    assert page.find_element(By.ID, "question").get_property("value") == too_long.strip()  # kept to edit

    page.execute_cdp_cmd("Network.enable", {})
    page.execute_cdp_cmd("Network.emulateNetworkConditions",
                         {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        page.find_element(By.ID, "question").clear()
        assert "서버에 연결하지 못했습니다" in _ask(page, SEED_QUESTION).text
    finally:
        page.execute_cdp_cmd("Network.emulateNetworkConditions",
                             {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        page.execute_cdp_cmd("Network.disable", {})


def test_the_language_toggle_switches_the_labels_not_the_answers(page):
    toggle = page.find_element(By.ID, "language")
    assert toggle.text == "English"
    toggle.click()
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert page.find_element(By.CSS_SELECTOR, "label[for=question]").text == "Question"
    assert page.find_element(By.ID, "send").text == "Send"
    assert page.find_element(By.ID, "new-conversation").text == "New conversation"
    assert toggle.text == "한국어" and page.title == "Questions over the documents"
    assert _text(_ask(page, UNANSWERABLE).find_element(By.CSS_SELECTOR, ".said")) == ABSTAINED_EN
    answered = _ask(page, SEED_QUESTION)
    assert answered.find_element(By.CSS_SELECTOR, ".meta").text.startswith("Short answer · confidence ")
    assert _text(answered.find_element(By.CSS_SELECTOR, ".said")) == "2016년"
    toggle.click()
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ko"
    assert ABSTAINED_KO in page.find_elements(By.CSS_SELECTOR, ".bubble.answer")[0].text


def test_a_read_token_server_gets_the_token_asked_once_and_kept_in_memory_only(browser, index, tmp_path):
    guarded = Server(index, tmp_path / "guarded.log", RAG_API_READ_TOKEN=READ_TOKEN).start()
    try:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.get(guarded.url + "/chat")
        browser.find_element(By.ID, "question").send_keys(SEED_QUESTION + Keys.ENTER)
        form = browser.find_element(By.ID, "token-form")
        WebDriverWait(browser, WAIT).until(lambda d: form.is_displayed())
        field = browser.switch_to.active_element
        assert field.get_attribute("id") == "token" and field.get_attribute("type") == "password"
        field.send_keys(READ_TOKEN + Keys.ENTER)
        assert _text(_reply(browser, 0).find_element(By.CSS_SELECTOR, ".said")) == "2016년"
        assert not form.is_displayed()
        assert _text(_ask(browser, SEED_QUESTION).find_element(By.CSS_SELECTOR, ".said")) == "2016년"
        assert not form.is_displayed()  # asked once
        stored = browser.execute_script(
            "return [localStorage.length, sessionStorage.length, document.cookie]")
        assert stored == [0, 0, ""]
        assert httpx.get(guarded.url + "/chat").status_code == 200  # the page itself needs no token
    finally:
        guarded.stop()
    assert READ_TOKEN not in guarded.log
