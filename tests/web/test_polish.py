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


def active(page, selector):
    return page.js("return document.activeElement.matches(arguments[0])", selector)


def test_given_a_row_menu_when_closed_with_escape_then_focus_returns_to_where_it_was(page):
    page.open()
    rows = wait_rows(page, 2)
    # From the keyboard: the grid has focus, Shift+F10 opens the menu, Escape gives focus back.
    page.click(f'.row[data-uid="{rows[1][0]}"] .title')
    grid = page.css("[data-track-table]")
    grid.send_keys(Keys.SHIFT, Keys.F10)
    page.wait(lambda d: page.js("return !document.querySelector('[data-menu]').hidden && document.activeElement.matches('[data-menu] button')"),
              message="the menu did not open with focus")
    page.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    page.wait(lambda d: page.js("return document.querySelector('[data-menu]').hidden"))
    assert active(page, "[data-track-table]"), page.js("return document.activeElement.outerHTML.slice(0, 120)")
    # From the ⋯ button: Escape gives focus back too (never to the page's body).
    page.click(f'.row[data-uid="{rows[0][0]}"] [data-action="row-menu"]')
    page.wait(lambda d: active(page, "[data-menu] button"))
    page.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    page.wait(lambda d: page.js("return document.querySelector('[data-menu]').hidden"))
    assert not active(page, "body"), "focus was lost"


def test_given_a_playlist_when_reordered_twice_with_alt_down_then_the_handle_keeps_focus_through_live_refreshes(page, api):
    uids = [t["uid"] for t in api.get("/api/search?limit=4")["tracks"]]
    playlist = api.send("POST", "/api/playlists", {"name": "Focus test"})
    api.send("POST", f"/api/playlists/{playlist['id']}/items", {"uids": uids})
    try:
        page.open(f"#/playlist/{urllib_quote(playlist['id'])}")
        page.wait(lambda d: len(page.all("[data-playlist-items] li")) == 4)
        moved = page.js("return document.querySelector('[data-playlist-items] li').dataset.item")
        handle = f'[data-item="{moved}"] [data-handle]'
        page.css(handle).send_keys(Keys.ALT, Keys.ARROW_DOWN)
        page.wait(lambda d: [i["uid"] for i in api.get(f"/api/playlists/{playlist['id']}")["items"]][1] == uids[0])
        page.wait(lambda d: active(page, handle), message="focus left the handle after the first move")
        page.driver.switch_to.active_element.send_keys(Keys.ALT, Keys.ARROW_DOWN)
        page.wait(lambda d: [i["uid"] for i in api.get(f"/api/playlists/{playlist['id']}")["items"]][2] == uids[0])
        # The server's live event re-renders the list after the move's own render.
        time.sleep(1.0)
        assert active(page, handle), "focus was lost after the second Alt+Down"
        page.driver.switch_to.active_element.send_keys(Keys.ALT, Keys.ARROW_DOWN)
        page.wait(lambda d: [i["uid"] for i in api.get(f"/api/playlists/{playlist['id']}")["items"]][3] == uids[0])
    finally:
        request_delete(api, f"/api/playlists/{urllib_quote(playlist['id'])}")
