"""What a careful listener trips over (issue 19), in a real browser against a real daemon.

    OMNISONICD_BIN=.build/debug/omnisonicd python3 -m pytest e2e/web/test_polish.py -q
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
        page.driver.get("about:blank")  # the open view would reload the deleted playlist (a 404 in the console)
        request_delete(api, f"/api/playlists/{urllib_quote(playlist['id'])}")


def test_given_a_file_already_in_the_library_when_imported_then_it_says_so_keeps_no_copy_and_links_the_track(page, api, web_daemon):
    track = api.get("/api/search?limit=1&q=codec:mp3")["tracks"][0]
    source = web_daemon.music / track["path"]
    before = api.get("/api/search?limit=1")["total"]
    page.open("#/import")
    page.wait_css('[data-action="choose-files"]')
    page.css("[data-import-input]").send_keys(str(source))
    state = page.wait(lambda d: (lambda s: s if s and s != "uploading" else False)(page.attr("[data-uploads] li", "data-state")),
                      timeout=20, message="the upload did not finish")
    assert state == "existing", page.text("[data-uploads] li")
    assert "already in the library" in page.text("[data-uploads] li").lower()
    assert page.attr("[data-uploads] li [data-upload-link]", "href") == f"#/track/{track['uid']}"
    # A refused file shows no full progress bar.
    assert not page.all("[data-uploads] li progress")
    assert api.get("/api/search?limit=1")["total"] == before
    assert api.get(f"/api/tracks/{track['uid']}/files")["files"] == [str(source)]
    assert not (web_daemon.music / "Imported" / source.name).exists()


def test_given_a_track_with_two_copies_when_deleting_then_the_dialog_lists_both_files_and_names_the_desktop_trash(page, api, web_daemon):
    import shutil
    track = api.get("/api/search?limit=1&q=codec:flac")["tracks"][0]
    source = web_daemon.music / track["path"]
    copy_folder = web_daemon.music / "Copies"
    copy_folder.mkdir(exist_ok=True)
    shutil.copy(source, copy_folder / source.name)
    try:
        page.wait(lambda d: len(api.get(f"/api/tracks/{track['uid']}/files")["files"]) == 2, timeout=20,
                  message="the watcher did not add the copy to the track")
        page.open(f"#/track/{track['uid']}")
        page.click('[data-action="delete"]')
        page.wait_css("dialog[open] [data-delete-files]")
        listed = page.js("return [...document.querySelectorAll('[data-delete-files] li')].map(li => li.textContent)")
        assert sorted(listed) == sorted([str(source), str(copy_folder / source.name)])
        text = page.text("dialog[open]")
        assert "trash" in text.lower() and "omnisonicd" not in text
        page.click('dialog [data-action="cancel"]')
    finally:
        (copy_folder / source.name).unlink(missing_ok=True)


def test_given_a_scrollbar_when_the_table_shows_then_each_header_lines_up_with_its_column(page):
    page.open()
    wait_rows(page, 3)
    assert page.js("const v = document.querySelector('[data-track-table]'); return v.scrollHeight > v.clientHeight"), "no scrollbar to test with"
    offsets = page.js("""
        const head = [...document.querySelector('.thead').children].map(e => e.getBoundingClientRect());
        const row = document.querySelector('[data-track-table] .row:not([hidden])');
        const cells = [...row.children].map(e => e.getBoundingClientRect());
        return head.map((h, i) => [Math.round(h.left - cells[i].left), Math.round(h.right - cells[i].right)]);""")
    assert all(abs(left) <= 1 and abs(right) <= 1 for left, right in offsets), offsets


def test_given_a_phone_width_when_the_player_switch_shows_then_it_has_a_visible_label(page):
    page.driver.set_window_size(390, 844)
    page.open()
    wait_rows(page)
    if not page.css("[data-player-switch]").is_displayed():
        import pytest
        pytest.skip("this daemon has no server-side player")
    shown = page.js("""const span = document.querySelector('[data-player-switch] span');
        const r = span.getBoundingClientRect(); return [getComputedStyle(span).display !== 'none' && r.width > 0, r.right <= innerWidth];""")
    assert shown == [True, True]
    assert page.js("return document.querySelector('[data-player-switch] input').labels[0].innerText.trim()") == "Play on this computer"


def test_given_a_saved_search_when_deleted_then_it_asks_first_and_undo_brings_it_back(page, api):
    saved = api.send("POST", "/api/searches", {"name": "Delete me", "query": "", "sort": "year"})
    page.open(f"#/search/{saved['id']}")
    page.wait(lambda d: page.text("[data-view-title]") == "Delete me")
    page.click('[data-action="delete-search"]')
    page.wait_css("dialog[open]")
    page.click('dialog [data-action="cancel"]')
    assert api.status(f"/api/searches/{saved['id']}") == 200
    page.click('[data-action="delete-search"]')
    page.click('dialog [data-action="confirm"]')
    page.wait(lambda d: api.status(f"/api/searches/{saved['id']}") == 404)
    page.click('[data-action="toast-action"]')  # Undo
    page.wait(lambda d: any(s["name"] == "Delete me" for s in api.get("/api/searches")["searches"]), message="undo did not restore it")
    restored = next(s for s in api.get("/api/searches")["searches"] if s["name"] == "Delete me")
    assert restored["sort"] == "year"
    page.driver.get("about:blank")  # the open view would reload the deleted search (a 404 in the console)
    request_delete(api, f"/api/searches/{restored['id']}")


def test_given_a_track_page_then_the_format_is_named_as_people_say_it(page, api):
    tracks = api.get("/api/search?limit=100")["tracks"]
    track = next(t for t in tracks if t["codec"] == "aac") if any(t["codec"] == "aac" for t in tracks) else tracks[0]
    assert "," not in track["format"] and track["format"]
    page.open(f"#/track/{track['uid']}")
    page.wait(lambda d: page.text("[data-track-title]") == track["title"])
    fields = page.text("[data-fields]")
    assert track["format"] in fields and track["container"] not in fields.replace(track["format"], "")


def test_given_a_file_that_is_not_audio_when_imported_then_it_is_marked_refused_not_finished(page, tmp_path):
    junk = tmp_path / "notes.mp3"
    junk.write_bytes(b"this is not audio at all" * 100)
    page.open("#/import")
    page.wait_css('[data-action="choose-files"]')
    page.css("[data-import-input]").send_keys(str(junk))
    state = page.wait(lambda d: (lambda s: s if s and s != "uploading" else False)(page.attr("[data-uploads] li", "data-state")),
                      timeout=20, message="the upload did not finish")
    assert state == "rejected"
    assert not page.all("[data-uploads] li progress"), "a refused file shows a full progress bar"
    assert page.all("[data-uploads] li .upload-mark")
