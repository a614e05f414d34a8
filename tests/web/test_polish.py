"""What a careful listener trips over (issue 19), in a real browser against a real daemon.

    OMNISONICD_BIN=.build/debug/omnisonicd python3 -m pytest tests/web/test_polish.py -q
"""

import time

from selenium.webdriver.common.keys import Keys

from test_webui import type_search, urllib_quote, wait_rows


def queue_uids(page):
    return page.js("return [...document.querySelectorAll('[data-queue-list] li button')].length")


def test_given_a_library_when_play_all_is_pressed_then_the_whole_result_is_asked_from_the_server_and_queued(page, api):
    page.open()
    wait_rows(page)
    total = api.get("/api/search?limit=1")["total"]
    page.js("performance.clearResourceTimings()")
    page.click('[data-action="play-all"]')
    page.wait(lambda d: queue_uids(page) == total, message="Play all did not queue every track")
    # The queue came from the query (one request for the whole result), not from the loaded rows.
    asked = page.js("return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/api/search') && n.includes('limit=10000'))")
    assert asked, "Play all did not ask the server for the whole result"
    page.click('[data-action="play-pause"]')


def test_given_an_empty_result_when_shown_then_play_all_is_disabled(page):
    page.open()
    wait_rows(page)
    assert page.css('[data-action="play-all"]').is_enabled()
    type_search(page, "zzqqxxnothing")
    page.wait(lambda d: "Nothing found" in (page.text("[data-message]") or ""))
    page.wait(lambda d: not page.css('[data-action="play-all"]').is_enabled(), message="Play all stays enabled with nothing to play")
    page.css("[data-search-input]").send_keys(Keys.ESCAPE)


def test_given_a_saved_search_when_a_column_header_is_clicked_then_its_rows_follow_and_the_library_sort_is_untouched(page, api):
    saved = api.send("POST", "/api/searches", {"name": "Everything by title", "query": "", "sort": "title"})
    try:
        page.open(f"#/search/{saved['id']}")
        page.wait(lambda d: page.text("[data-view-title]") == "Everything by title")
        by_title = [t["uid"] for t in api.get(f"/api/searches/{saved['id']}/tracks?limit=10")["tracks"]]
        page.wait(lambda d: [u for u, _ in page.rows()[:10]] == by_title, message="not in the saved order")
        assert page.attr('[data-sort="title"]', "aria-sort") == "ascending"
        page.click('[data-sort="year"]')
        by_year = [t["uid"] for t in api.get(f"/api/searches/{saved['id']}/tracks?limit=10&sort=year&order=asc")["tracks"]]
        assert by_year != by_title
        page.wait(lambda d: page.attr('[data-sort="year"]', "aria-sort") == "ascending")
        page.wait(lambda d: [u for u, _ in page.rows()[:10]] == by_year, message="the rows did not follow the header")
        # The Library keeps its own sort.
        page.click('[data-nav="library"]')
        wait_rows(page)
        assert page.attr('[data-sort="year"]', "aria-sort") is None
    finally:
        request_delete(api, f"/api/searches/{saved['id']}")


def request_delete(api, path):
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(api.base + path, method="DELETE"), timeout=10).read()
