"""The web app in a real browser (headless Chromium) against a real daemon and library.

    OMNISONICD_BIN=.build/debug/omnisonicd python3 -m pytest e2e/web -q
    OMNI_UPDATE_SCREENSHOTS=1 python3 -m pytest e2e/web   # also refresh docs/screenshots/

Drag and drop: Chromium 156's WebDriver performs HTML5 drag and drop from Selenium's
ActionChains (checked: rows onto a playlist, playlist items onto each other), so those drags
are real pointer drags. Dropping *files* cannot be done with a pointer from WebDriver: that test
dispatches the DragEvents (dragenter, dragover, drop) with a DataTransfer holding a File from
JavaScript, so the app's own handlers run.
"""

import base64
import os
import shutil
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.keys import Keys

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

def drag(page, source, target, after=False):
    """A pointer drag from the middle of `source` to the upper or lower quarter of `target`."""
    from selenium.webdriver import ActionChains
    height = target.size["height"]
    offset = height // 4 if after else -(height // 4)
    ActionChains(page.driver).click_and_hold(source).move_by_offset(0, 8).move_to_element_with_offset(target, 0, offset) \
        .move_to_element_with_offset(target, 1, offset).release().perform()


def wait_rows(page, minimum=1):
    page.wait(lambda d: len(page.rows()) >= minimum, message="no rows in the table")
    return page.rows()


def type_search(page, text):
    box = page.css("[data-search-input]")
    box.clear()
    for character in text:
        box.send_keys(character)
        time.sleep(0.03)


def save_docs_screenshot(page, name):
    """A screenshot in e2e/web/artifacts/; also in docs/screenshots/ (the README's) when
    OMNI_UPDATE_SCREENSHOTS=1, so that ordinary runs leave the committed ones alone."""
    page.screenshot(name)
    if os.environ.get("OMNI_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(__file__).resolve().parent / "artifacts" / f"{name}.png", DOCS_SCREENSHOTS / f"{name}.png")


def test_given_a_library_when_the_app_loads_then_the_table_shows_every_track_with_its_count(page, api):
    page.open()
    total = api.get("/api/search?limit=1")["total"]
    rows = wait_rows(page)
    assert page.text("[data-count]") == f"{total:,} tracks"
    first = api.get("/api/search?limit=3")["tracks"]
    assert [uid for uid, _ in rows[:3]] == [t["uid"] for t in first]
    # Only the rows in view are in the DOM (virtual scrolling).
    assert len(page.all("[data-track-table] .row")) <= total
    # Sorting by a column asks the server and marks the header.
    page.click('[data-sort="title"]')
    page.wait(lambda d: page.attr('[data-sort="title"]', "aria-sort") == "ascending")
    by_title = api.get("/api/search?limit=3&sort=title")["tracks"]
    page.wait(lambda d: [uid for uid, _ in page.rows()[:3]] == [t["uid"] for t in by_title], message="not sorted by title")
    page.click('[data-sort="title"]')
    page.wait(lambda d: page.attr('[data-sort="title"]', "aria-sort") == "descending")
    page.click('[data-sort="artist"]')
    save_docs_screenshot(page, "library")


def test_given_a_search_box_when_typing_then_results_update_as_you_type_highlighted_with_did_you_mean(page, api):
    page.open()
    wait_rows(page)
    # `/` focuses the search box.
    page.css("body").send_keys("/")
    assert page.js("return document.activeElement.matches('[data-search-input]')")
    assert page.attr("[data-search-input]", "type") == "search"
    artist = next(t["artist"] for t in api.get("/api/search?limit=100")["tracks"] if t.get("artist") and len(t["artist"]) > 4)
    word = artist.split()[0]
    prefix = word[:4]
    type_search(page, prefix)
    expected = api.get(f"/api/search?limit=5&q={urllib_quote(prefix)}")
    page.wait(lambda d: page.text("[data-count]") == f"{expected['total']:,} {'track' if expected['total'] == 1 else 'tracks'}",
              message="the count did not follow the query")
    page.wait(lambda d: [uid for uid, _ in page.rows()[:5]] == [t["uid"] for t in expected["tracks"]], message="results differ from the API")
    marks = page.js("return [...document.querySelectorAll('[data-track-table] .row:not([hidden]) mark')].map(m => m.textContent.toLowerCase())")
    assert marks and all(m == prefix.lower() for m in marks)
    # A misspelling offers the server's suggestion as a link.
    misspelled = word[:2] + word[3] + word[2] + word[4:] if len(word) > 4 else word + "x"
    suggestion = api.get(f"/api/search?limit=1&q={urllib_quote(misspelled)}")["suggestion"]
    type_search(page, misspelled)
    if suggestion:
        link = page.wait_css('[data-action="suggestion"]')
        assert link.text == suggestion
        link.click()
        page.wait(lambda d: page.js("return document.querySelector('[data-search-input]').value") == suggestion)
        wait_rows(page)
    else:
        page.wait_css(".empty")
    type_search(page, "zzqqxxnothing")
    page.wait(lambda d: "Nothing found" in page.text("[data-message]"))
    save_docs_screenshot(page, "search-empty")
    page.css("[data-search-input]").send_keys(Keys.ESCAPE)
    wait_rows(page)


def urllib_quote(text):
    from urllib.parse import quote
    return quote(text)


def test_given_an_open_library_when_another_client_edits_a_track_then_the_row_updates_without_reload(page, api):
    page.open()
    rows = wait_rows(page, 2)
    uid, title = rows[1]
    page.js("window.__notReloaded = true")
    api.send("PATCH", f"/api/tracks/{uid}", {"title": "Changed elsewhere"})
    try:
        page.wait(lambda d: dict(page.rows()).get(uid) == "Changed elsewhere", message="the SSE update did not reach the table")
        assert page.js("return window.__notReloaded === true")
    finally:
        api.send("PATCH", f"/api/tracks/{uid}", {"title": None})
    page.wait(lambda d: dict(page.rows()).get(uid) == title)


def open_first_track_details(page):
    page.open()
    wait_rows(page)
    uid, title = page.rows()[0]
    page.click(f'[data-track-table] .row[data-uid="{uid}"] [data-action="row-menu"]')
    page.click('[data-menu-item="details"]')
    page.wait(lambda d: page.text("[data-track-title]") == title)
    return uid, title


def test_given_a_track_when_opened_edited_and_reset_then_the_override_is_saved_and_removed(page, api):
    uid, title = open_first_track_details(page)
    assert page.text("[data-fields]")
    save_docs_screenshot(page, "track")
    page.click('[data-action="edit"]')
    field = page.wait_css('[data-edit-field="title"]')
    assert field.get_attribute("value") == title
    field.clear()
    field.send_keys("Edited by the browser test")
    year = page.css('[data-edit-field="year"]')
    year.clear()
    year.send_keys("1984")
    page.click('[data-action="save-edit"]')
    page.wait(lambda d: page.text("[data-track-title]") == "Edited by the browser test")
    track = api.get(f"/api/tracks/{uid}")
    assert track["title"] == "Edited by the browser test" and track["year"] == 1984
    # Reset brings back the file's values.
    page.click('[data-action="edit"]')
    page.click('[data-reset-field="title"]')
    page.click('[data-reset-field="year"]')
    page.click('[data-action="save-edit"]')
    page.wait(lambda d: page.text("[data-track-title]") == title)
    assert api.get(f"/api/tracks/{uid}")["title"] == title
    # Favorite and rating.
    page.click('[data-action="favorite"]')
    page.wait(lambda d: page.attr('[data-action="favorite"]', "aria-pressed") == "true")
    page.click('[data-rate="4"]')
    page.wait(lambda d: page.attr("[data-rating]", "data-rating") == "4")
    track = api.get(f"/api/tracks/{uid}")
    assert track["favorite"] is True and track["rating"] == 4
    # An edit the API refuses is explained in the dialog, which stays open.
    page.expect_console_error(f"/api/tracks/{uid} - Failed to load resource: the server responded with a status of 400")
    page.click('[data-action="edit"]')
    year = page.wait_css('[data-edit-field="year"]')
    year.clear()
    year.send_keys("123456")
    page.click('[data-action="save-edit"]')
    page.wait(lambda d: page.text("dialog [role=alert]"), message="no error shown")
    assert page.all("dialog[open]")
    page.click('dialog [data-action="cancel"]')
    assert api.get(f"/api/tracks/{uid}").get("year") != 123456
    # Escape closes a dialog.
    page.click('[data-action="edit"]')
    page.wait_css("dialog[open]")
    page.css('[data-edit-field="title"]').send_keys(Keys.ESCAPE)
    page.wait(lambda d: not page.all("dialog[open]"))


def test_given_a_track_when_deleted_then_undo_keeps_it_and_letting_the_toast_expire_deletes_it(page, api):
    page.open()
    rows = wait_rows(page)
    uid, title = rows[3]
    page.click(f'[data-track-table] .row[data-uid="{uid}"] [data-action="row-menu"]')
    page.click('[data-menu-item="delete"]')
    page.click('[data-action="confirm"]')
    page.wait(lambda d: uid not in [u for u, _ in page.rows()], message="the row did not disappear")
    page.click('[data-action="toast-action"]')  # Undo
    page.wait(lambda d: uid in [u for u, _ in page.rows()], message="undo did not bring the row back")
    time.sleep(6.5)
    assert api.status(f"/api/tracks/{uid}") == 200
    page.click(f'[data-track-table] .row[data-uid="{uid}"] [data-action="row-menu"]')
    page.click('[data-menu-item="delete"]')
    page.click('[data-action="confirm"]')
    page.wait(lambda d: api.status(f"/api/tracks/{uid}") == 404, timeout=12, message="the track was not deleted after the undo expired")


def test_given_a_track_page_when_deleted_then_the_library_hides_it_until_undo(page, api):
    uid, title = open_first_track_details(page)
    page.click('[data-action="delete"]')
    page.click('[data-action="confirm"]')
    page.wait(lambda d: page.js("return location.hash") == "#/library")
    wait_rows(page)
    page.wait(lambda d: uid not in [u for u, _ in page.rows()], message="the deleted track is still listed")
    page.click('[data-action="toast-action"]')  # Undo
    page.wait(lambda d: uid in [u for u, _ in page.rows()], message="undo did not bring the row back")
    time.sleep(6.5)
    assert api.status(f"/api/tracks/{uid}") == 200


def test_given_playlists_when_created_filled_by_drag_and_reordered_by_drag_then_the_api_has_that_order(page, api):
    page.open()
    rows = wait_rows(page, 4)
    page.click('[data-action="new-playlist"]')
    page.wait_css("[data-prompt-input]").send_keys("Road trip")
    page.click('[data-action="prompt-ok"]')
    page.wait(lambda d: page.all("[data-playlist-name]") and page.text("[data-playlist-name]") == "Road trip")
    playlist_id = page.js("return decodeURIComponent(location.hash.split('/')[2])")
    page.wait_css("[data-empty='playlist']")
    # Back to the library: select three rows (click, shift+click), drag them onto the playlist.
    page.click('[data-nav="library"]')
    rows = wait_rows(page, 4)
    page.click(f'.row[data-uid="{rows[0][0]}"] .title')
    from selenium.webdriver import ActionChains
    ActionChains(page.driver).key_down(Keys.SHIFT).click(page.css(f'.row[data-uid="{rows[2][0]}"] .title')).key_up(Keys.SHIFT).perform()
    assert page.js("return document.querySelectorAll('.row[aria-selected=\"true\"]').length") == 3
    drag(page, page.css(f'.row[data-uid="{rows[1][0]}"]'), page.css(f'[data-playlist-link="{playlist_id}"]'))
    page.wait(lambda d: len(api.get(f"/api/playlists/{playlist_id}")["items"]) == 3, message="the drop did not add the tracks")
    # Add one more from the row menu.
    page.click(f'.row[data-uid="{rows[3][0]}"] [data-action="row-menu"]')
    page.click(f'[data-menu-item="add-to-{playlist_id}"]')
    page.wait(lambda d: len(api.get(f"/api/playlists/{playlist_id}")["items"]) == 4)
    page.click(f'[data-playlist-link="{playlist_id}"]')
    page.wait(lambda d: len(page.all("[data-playlist-items] li")) == 4)
    before = [item["uid"] for item in api.get(f"/api/playlists/{playlist_id}")["items"]]
    assert before == [uid for uid, _ in rows[:4]]
    # Reorder: the first item dropped after the last.
    items = page.all("[data-playlist-items] li")
    drag(page, items[0], items[3], after=True)
    expected = before[1:] + before[:1]
    page.wait(lambda d: [i["uid"] for i in api.get(f"/api/playlists/{playlist_id}")["items"]] == expected, message="not reordered")
    page.wait(lambda d: page.js("return [...document.querySelectorAll('[data-playlist-items] li')].map(li => li.dataset.uid)") == expected)
    # Keyboard reorder: Alt+Up on the (now) last item.
    page.all("[data-playlist-items] [data-handle]")[3].send_keys(Keys.ALT, Keys.ARROW_UP)
    expected = expected[:2] + [expected[3], expected[2]]
    page.wait(lambda d: [i["uid"] for i in api.get(f"/api/playlists/{playlist_id}")["items"]] == expected, message="Alt+Up did not move")
    save_docs_screenshot(page, "playlist")
    # Remove one, rename, export link.
    page.all('[data-action="remove-item"]')[0].click()
    page.wait(lambda d: len(api.get(f"/api/playlists/{playlist_id}")["items"]) == 3)
    page.click('[data-action="rename"]')
    field = page.wait_css("[data-prompt-input]")
    field.clear()
    field.send_keys("Long road trip")
    page.click('[data-action="prompt-ok"]')
    page.wait(lambda d: page.text("[data-playlist-name]") == "Long road trip")
    page.wait(lambda d: page.text(f'[data-playlist-link="{playlist_id}"]') == "Long road trip")
    assert page.attr('[data-action="export"]', "href").endswith(f"/api/playlists/{playlist_id}.m3u8")
    exported = api.text(f"/api/playlists/{playlist_id}.m3u8")
    assert exported.startswith("#EXTM3U") and exported.count("#EXTINF") == 3
    # Delete with confirmation.
    page.click('[data-action="delete-playlist"]')
    page.click('[data-action="confirm"]')
    page.wait(lambda d: api.status(f"/api/playlists/{playlist_id}") == 404)
    page.wait(lambda d: not page.all(f'[data-playlist-link="{playlist_id}"]'))


def test_given_an_m3u_file_when_imported_from_the_sidebar_then_a_playlist_of_its_tracks_opens(page, api, web_daemon, tmp_path):
    tracks = api.get("/api/search?limit=3")["tracks"]
    playlist = tmp_path / "Party.m3u"
    playlist.write_text("#EXTM3U\n" + "".join(f"{web_daemon.music / t['path']}\n" for t in tracks) + "/nowhere/missing.mp3\n")
    page.open()
    wait_rows(page)
    page.css("[data-playlist-file]").send_keys(str(playlist))
    page.wait(lambda d: page.all("[data-playlist-name]") and page.text("[data-playlist-name]") == "Party", message="the imported playlist did not open")
    page.wait(lambda d: page.js("return [...document.querySelectorAll('[data-playlist-items] li')].map(li => li.dataset.uid)") == [t["uid"] for t in tracks])
    assert "not found" in page.text("[data-toasts]")
    playlist_id = page.js("return decodeURIComponent(location.hash.split('/')[2])")
    page.click('[data-action="delete-playlist"]')
    page.click('[data-action="confirm"]')
    page.wait(lambda d: api.status(f"/api/playlists/{playlist_id}") == 404)


def test_given_a_favorite_when_favorites_only_is_checked_with_text_then_only_matching_favorites_show(page, api):
    page.open()
    rows = wait_rows(page, 3)
    uid, title = rows[2]
    page.click(f'.row[data-uid="{uid}"] [data-action="row-menu"]')
    page.click('[data-menu-item="favorite"]')
    page.wait(lambda d: api.get(f"/api/tracks/{uid}")["favorite"] is True)
    page.click('[data-filter="favorites"]')
    expected = api.get("/api/search?limit=50&q=is:favorite")
    assert uid in [t["uid"] for t in expected["tracks"]]
    page.wait(lambda d: sorted(u for u, _ in page.rows()) == sorted(t["uid"] for t in expected["tracks"]), message="not the favorites")
    word = title.split()[0]
    type_search(page, word)
    with_text = api.get(f"/api/search?limit=50&q={urllib_quote('is:favorite ' + word)}")
    page.wait(lambda d: [u for u, _ in page.rows()] == [t["uid"] for t in with_text["tracks"]], message="favorites and text did not combine")
    page.click('[data-filter="favorites"]')


def test_given_a_search_when_saved_then_it_is_listed_and_shows_its_tracks(page, api):
    page.open()
    wait_rows(page)
    genre = next(g["name"] for g in api.get("/api/genres?limit=100")["items"])
    page.wait(lambda d: page.js(f"return [...document.querySelectorAll('[data-filter=genre] option')].some(o => o.value === {genre!r})"))
    # What choosing an option does (Selenium's Select sometimes leaves headless Chromium without
    # the change event).
    page.js("const s = document.querySelector('[data-filter=genre]'); s.value = arguments[0]; s.dispatchEvent(new Event('change', {bubbles: true}))", genre)
    value = f'"{genre}"' if " " in genre else genre
    expected = [t["uid"] for t in api.get(f"/api/search?limit=5&q=genre:{urllib_quote(value)}")["tracks"]]
    page.wait(lambda d: [uid for uid, _ in page.rows()[:5]] == expected, message="the genre filter did not apply")
    page.click('[data-action="save-search"]')
    field = page.wait_css("[data-prompt-input]")
    field.clear()
    field.send_keys("Only " + genre)
    page.click('[data-action="prompt-ok"]')
    search_id = page.wait(lambda d: page.js("return ([...document.querySelectorAll('[data-search-link]')].find(a => a.textContent === arguments[0]) || {dataset: {}}).dataset.searchLink", "Only " + genre))
    page.click(f'[data-search-link="{search_id}"]')
    page.wait(lambda d: page.text("[data-view-title]") == "Only " + genre)
    wait_rows(page)
    # Filters are kept while moving around the app; "Clear filters" lists everything again.
    page.click('[data-nav="library"]')
    select_value = lambda: page.js("const s = document.querySelector('[data-filter=genre]'); return s && s.value")  # noqa: E731
    page.wait(lambda d: select_value() == genre)
    page.click('[data-action="clear-filters"]')
    page.wait(lambda d: select_value() == "")
    total = api.get("/api/search?limit=1")["total"]
    page.wait(lambda d: page.text("[data-count]") == f"{total:,} tracks")


def test_given_an_audio_file_when_uploaded_with_the_file_picker_then_it_shows_progress_and_joins_the_library(page, api, audio_file):
    before = api.get("/api/search?limit=1")["total"]
    page.open("#/import")
    page.wait_css('[data-action="choose-files"]')
    page.css("[data-import-input]").send_keys(str(audio_file))
    state = page.wait(lambda d: (lambda s: s if s and s != "uploading" else False)(page.attr("[data-uploads] li", "data-state")),
                      timeout=20, message="the upload did not finish")
    assert state == "done", page.text("[data-uploads] li")
    assert page.js("const p = document.querySelector('[data-uploads] progress'); return p.value === p.max")
    save_docs_screenshot(page, "import")
    page.wait(lambda d: api.get("/api/search?limit=1")["total"] == before + 1)
    page.click('[data-nav="library"]')
    page.wait(lambda d: page.text("[data-count]") == f"{before + 1:,} tracks", message="the new track did not appear")


def test_given_an_audio_file_when_dropped_on_the_window_then_it_is_imported(page, api, tmp_path, corpus_maker):
    corpus_maker(tmp_path / "drop", 3, 4242)
    audio = next(p for p in sorted((tmp_path / "drop").rglob("*.ogg")) if "Broken" not in p.parts)
    before = api.get("/api/search?limit=1")["total"]
    page.open()
    wait_rows(page)
    dropped = page.js("""
        const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], arguments[1], { type: 'audio/ogg' }));
        const fire = (type) => { const e = new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }); document.body.dispatchEvent(e); return e; };
        fire('dragenter');
        const shown = !document.querySelector('[data-drop-overlay]').hidden;
        fire('dragover');
        return [shown, fire('drop').defaultPrevented];""", base64.b64encode(audio.read_bytes()).decode(), audio.name)
    assert dropped == [True, True]
    page.wait(lambda d: page.attr("[data-uploads] li", "data-state") == "done", timeout=20, message="the dropped file was not imported")
    assert page.js("return document.querySelector('[data-drop-overlay]').hidden")
    page.wait(lambda d: api.get("/api/search?limit=1")["total"] == before + 1)


def test_given_a_track_when_played_in_the_browser_then_the_audio_element_advances(page, api):
    page.open()
    rows = wait_rows(page, 2)
    page.click(f'.row[data-uid="{rows[0][0]}"] .title')
    page.css("[data-track-table]").send_keys(Keys.ENTER)
    page.wait(lambda d: page.js("const a = document.querySelector('[data-audio]'); return a.currentTime > 0.3"), timeout=15,
              message="the audio element did not play")
    assert page.text("[data-now-title]") == rows[0][1]
    assert page.js("return navigator.mediaSession.metadata && navigator.mediaSession.metadata.title") == rows[0][1]
    assert page.attr('[data-action="play-pause"]', "aria-label") == "Pause"
    # Space pauses (focus outside any field), next moves on in the queue.
    page.css("[data-track-table]").send_keys(" ")
    page.wait(lambda d: page.js("return document.querySelector('[data-audio]').paused"))
    page.click('[data-action="next"]')
    page.wait(lambda d: page.text("[data-now-title]") == rows[1][1])
    page.wait(lambda d: page.js("return document.querySelector('[data-audio]').currentTime > 0.2"), timeout=15)
    page.click('[data-action="play-pause"]')
    save_docs_screenshot(page, "playing")
    # Without /api/player (not in this daemon's OpenAPI document) the switch stays hidden.
    has_player = "/api/player" in api.get("/api/openapi.json")["paths"]
    assert page.css("[data-player-switch]").is_displayed() == has_player


def test_given_the_theme_toggle_when_clicked_then_the_colors_change_and_the_choice_is_kept(page):
    page.open()
    wait_rows(page)
    background = lambda: page.js("return getComputedStyle(document.body).backgroundColor")  # noqa: E731
    first, theme = background(), page.js("return document.documentElement.dataset.theme || ''")
    page.click('[data-action="toggle-theme"]')
    page.wait(lambda d: background() != first)
    chosen = page.js("return document.documentElement.dataset.theme")
    assert chosen in ("light", "dark") and chosen != theme
    page.open()
    assert page.js("return document.documentElement.dataset.theme") == chosen
    wait_rows(page)
    save_docs_screenshot(page, f"library-{chosen}")
    page.click('[data-action="toggle-theme"]')
    page.wait(lambda d: background() == first)


def test_given_albums_and_artists_when_browsed_then_the_grid_album_page_and_artist_page_show(page, api):
    page.open("#/albums")
    card = page.wait_css("[data-album-grid] .card")
    page.wait(lambda d: page.js("return [...document.querySelectorAll('img.art')].every(i => i.complete && i.naturalWidth > 0)"))
    save_docs_screenshot(page, "albums")
    albums = api.get("/api/albums?limit=200")
    multi = max(albums["items"], key=lambda a: a["trackCount"])
    page.open(f"#/album/{multi['id']}")
    page.wait(lambda d: page.text("[data-album-title]") == multi["title"])
    shown = [li.get_attribute("data-uid") for li in page.all("[data-album-tracks] li")]
    detail = api.get(f"/api/albums/{multi['id']}")["tracks"]
    ordered = sorted(detail, key=lambda t: (t.get("discNumber") or 1, t.get("trackNumber") or 0))
    assert shown == [t["uid"] for t in ordered]
    save_docs_screenshot(page, "album")
    # The album's star (`album.favorite`): the toggle writes it, the API reads it back.
    page.click('[data-action="favorite-album"]')
    page.wait(lambda d: page.css('[data-action="favorite-album"]').get_attribute("aria-pressed") == "true")
    assert api.get(f"/api/albums/{multi['id']}")["album"]["favorite"] is True
    page.click('[data-action="favorite-album"]')
    page.wait(lambda d: page.css('[data-action="favorite-album"]').get_attribute("aria-pressed") == "false")
    assert api.get(f"/api/albums/{multi['id']}")["album"]["favorite"] is False
    # Starred by another client, the open page shows it live (the favoritesChanged event).
    pressed = lambda: page.js("return document.querySelector('[data-action=\"favorite-album\"]').getAttribute('aria-pressed')")
    api.send("POST", f"/api/albums/{multi['id']}/favorite", {})
    page.wait(lambda d: pressed() == "true")
    api.send("DELETE", f"/api/albums/{multi['id']}/favorite", {})
    page.wait(lambda d: pressed() == "false")
    page.open("#/artists")
    page.wait_css("[data-artist-list] a")
    href, name = page.js("const a = document.querySelector('[data-artist-list] a'); return [a.getAttribute('href'), a.textContent]")
    page.click(f'[data-artist-list] a[href="{href}"]')
    page.wait(lambda d: page.all("[data-artist-name]") and page.text("[data-artist-name]") == name)
    page.click('[data-action="favorite-artist"]')
    page.wait(lambda d: page.css('[data-action="favorite-artist"]').get_attribute("aria-pressed") == "true")
    artist_id = href.rsplit("/", 1)[1]
    assert api.get(f"/api/artists/{artist_id}")["artist"]["favorite"] is True
    page.click('[data-action="favorite-artist"]')
    page.wait(lambda d: api.get(f"/api/artists/{artist_id}")["artist"]["favorite"] is False)
    assert card is not None


def test_given_a_phone_width_when_loaded_then_the_table_fits_and_the_menu_opens(page):
    page.driver.set_window_size(390, 844)
    page.open()
    wait_rows(page)
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not page.css("[data-sidebar]").is_displayed() or page.js("return document.querySelector('[data-sidebar]').getBoundingClientRect().right <= 0")
    save_docs_screenshot(page, "phone")
    page.click('[data-action="toggle-nav"]')
    page.wait(lambda d: page.js("return document.querySelector('[data-sidebar]').getBoundingClientRect().left >= 0"))
    page.screenshot("phone-menu")
    page.css("body").send_keys(Keys.ESCAPE)


def test_given_every_control_then_it_has_an_accessible_name(page):
    page.open()
    wait_rows(page)
    nameless = page.js("""
        return [...document.querySelectorAll('button, input, select, a[href], [role=grid]')]
          .filter(e => e.offsetParent !== null || e.matches('[role=grid]'))
          .filter(e => !(e.getAttribute('aria-label') || e.textContent.trim() || (e.labels && e.labels.length) || e.getAttribute('aria-labelledby') || e.title || e.placeholder))
          .map(e => e.outerHTML.slice(0, 120));""")
    assert nameless == []


def test_given_a_server_player_when_the_switch_is_on_then_the_queue_is_sent_to_api_player(page, api):
    if "/api/player" not in api.get("/api/openapi.json")["paths"]:
        pytest.skip("this daemon has no server-side player (/api/player); the switch is hidden (checked above)")
    page.open()
    rows = wait_rows(page, 2)
    page.click("[data-player-switch] input")
    # The output device list appears, fed by /api/player/outputs, and names the current device.
    page.wait(lambda d: page.js("""const s = document.querySelector('[data-output-device]');
        return !s.hidden && [...s.options].some(o => o.value === 'default') && s.value !== ''"""),
              message="the output device list did not show")
    page.css(f'.row[data-uid="{rows[0][0]}"] .title').click()
    page.css("[data-track-table]").send_keys(Keys.ENTER)
    page.wait(lambda d: [entry["uid"] for entry in api.get("/api/player")["queue"]][:2] == [rows[0][0], rows[1][0]],
              message="the queue did not reach /api/player")
    assert page.js("return document.querySelector('[data-audio]').paused")
    page.click("[data-player-switch] input")  # back to the browser (leaves the server paused)


def test_given_a_token_in_the_address_when_the_app_loads_then_it_is_remembered_and_dropped_from_the_address_bar(page, api, web_daemon):
    # The page carries a CSP that forbids framing (and inline script: every test fails on a CSP
    # violation in the console, so the whole suite runs under it).
    with urllib.request.urlopen(web_daemon.url + "/", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    page.driver.get("about:blank")
    page.driver.get(web_daemon.url + "/?token=dropped-from-the-address-0123#/library")
    page.wait(lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))
    wait_rows(page)
    assert "token" not in page.driver.current_url
    assert page.driver.current_url.endswith("/#/library")
    assert page.js("return localStorage.getItem('omnisonic.token')") == "dropped-from-the-address-0123"
    # Requests carry it from then on (this daemon has no token, so it is not checked).
    assert page.js("return performance.getEntriesByType('resource').some(e => e.name.includes('/api/search'))")
    page.js("localStorage.removeItem('omnisonic.token')")
