"""Issue 14 in the browser: BPM and key from the analysis in the library table (shown, sorted, in
the user's notation), the track page's analysis panel, and the mix helper page (#/mix).

A daemon of its own (`mix_daemon` in conftest.py): three short generated pieces with a steady
beat and a held chord (no BPM or key tags: what shows comes from the analysis) beside a 3-track
make-corpus library, analysed before the tests start.
"""

import pytest
from selenium.webdriver.common.keys import Keys

def table_cells(page):
    """(title, BPM cell, key cell) of the visible rows, in order."""
    return page.js("""
        return [...document.querySelectorAll('[data-track-table] .row:not([hidden])')]
          .filter(r => r.dataset.uid).sort((a, b) => a.dataset.index - b.dataset.index)
          .map(r => [r.querySelector('.title').textContent, r.querySelector('.bpm').textContent, r.querySelector('.key').textContent]);""")


def test_given_analysed_tracks_when_the_track_page_opens_then_the_analysis_panel_and_fields_show_bpm_and_key(mix_page):
    mix_page.open(f"#/track/{mix_page.uids['alpha']}")
    mix_page.wait(lambda d: "A minor" in (mix_page.text("[data-analysis-fields]") or ""), message="the analysis panel shows no key")
    panel = mix_page.text("[data-analysis-fields]")
    assert "120.0" in panel and "8A" in panel and "1m" in panel, panel
    # The track's own fields: no BPM or key tag, so the analysed ones, said to be analysed.
    fields = mix_page.text("[data-fields]")
    assert "120 (analysed)" in fields and "A minor (analysed)" in fields, fields


def test_given_analysed_tracks_when_the_library_sorts_by_bpm_and_key_then_the_columns_show_them_in_the_chosen_notation(mix_page):
    mix_page.open()
    mix_page.wait(lambda d: len(mix_page.rows()) >= 6, message="the library did not show its tracks")
    mix_page.css("[data-search-input]").send_keys("Mixer")
    mix_page.wait(lambda d: len(table_cells(mix_page)) == 3, message="the search did not narrow to the three pieces")
    mix_page.click('.thead [data-sort="bpm"]')
    mix_page.wait(lambda d: [c[0] for c in table_cells(mix_page)] == ["Charlie in C major", "Alpha in A minor", "Echo in E minor"],
                  message=f"not sorted by BPM: {table_cells(mix_page)}")
    assert [c[1] for c in table_cells(mix_page)] == ["100", "120", "125"], table_cells(mix_page)
    assert mix_page.attr('.thead [data-sort="bpm"]', "aria-sort") == "ascending"
    # By key: around the Camelot wheel, 8A (A minor), 8B (C major), 9A (E minor).
    mix_page.click('.thead [data-sort="key"]')
    mix_page.wait(lambda d: [c[2] for c in table_cells(mix_page)] == ["A minor", "C major", "E minor"],
                  message=f"not sorted by key: {table_cells(mix_page)}")
    # Another notation, everywhere at once (the setting is this browser's).
    mix_page.js("const s = document.querySelector('[data-key-notation]'); s.value = 'camelot'; s.dispatchEvent(new Event('change'))")
    mix_page.wait(lambda d: [c[2] for c in table_cells(mix_page)] == ["8A", "8B", "9A"], message=f"Camelot not shown: {table_cells(mix_page)}")
    mix_page.screenshot("library-bpm-key")
    # "Mix with…" in a row's menu opens the mix helper with that track as A.
    mix_page.click(f'.row[data-uid="{mix_page.uids["echo"]}"] [data-action="row-menu"]')
    mix_page.click('[data-menu-item="mix-with"]')
    mix_page.wait(lambda d: f"#/mix?from={mix_page.uids['echo']}" in d.current_url, message="Mix with… did not open the mix page")
    mix_page.wait(lambda d: mix_page.text('[data-mix-key="a"]') == "9A", message="A is not Echo, in Camelot")


def test_given_two_analysed_tracks_when_the_mix_page_compares_them_then_it_shows_tempo_pitch_relation_and_the_suggestion(mix_page):
    mix_page.open(f"#/mix?from={mix_page.uids['alpha']}&to={mix_page.uids['echo']}")
    mix_page.wait(lambda d: mix_page.text("[data-mix-suggestion]"), message="no suggestion")
    assert mix_page.text('[data-mix-bpm="a"]').startswith("120 BPM (analysed)")
    assert mix_page.text('[data-mix-key="b"]') == "E minor"
    advice = mix_page.text("[data-advice-fields]")
    # 125 → 120 BPM is −4 %: about −0.71 semitones without key lock; 9A is one step from 8A.
    assert "Speed B down 4.0 %, from 125 to 120 BPM" in advice, advice
    assert "−0.71 semitones" in advice, advice
    assert "B's E minor is one step clockwise on the wheel from A's A minor (compatible)" in advice, advice
    mix_page.screenshot("mix-advice")
    # The transition path: A first, B last, to play or queue.
    mix_page.js("document.querySelector('[data-path-steps]').value = '3'")
    mix_page.click('[data-action="make-path"]')
    mix_page.wait(lambda d: len(mix_page.all("[data-path-list] li")) == 3, message="no path of three tracks")
    ends = mix_page.js("return [...document.querySelectorAll('[data-path-list] li a')].map(a => a.getAttribute('href'))")
    assert ends[0] == f"#/track/{mix_page.uids['alpha']}" and ends[-1] == f"#/track/{mix_page.uids['echo']}", ends
    # The pickers: choose A by searching, with the keyboard.
    mix_page.open("#/mix")
    box = mix_page.css('[data-mix-search="mix-a"]')
    box.send_keys("Charlie")
    mix_page.wait(lambda d: mix_page.text("#mix-a-list li"), message="the picker found nothing")
    box.send_keys(Keys.ENTER)
    mix_page.wait(lambda d: f"from={mix_page.uids['charlie']}" in d.current_url, message="the pick did not reach the address")
    assert mix_page.text('[data-mix-key="a"]') == "C major"
    mix_page.screenshot("mix")


def test_given_an_analysed_track_when_its_page_opens_then_similar_tracks_list_and_the_radio_starts_and_stops(mix_page):
    alpha = mix_page.uids["alpha"]
    mix_page.open(f"#/track/{alpha}")
    mix_page.js("localStorage.setItem('omnisonic.output', 'server')")
    mix_page.open(f"#/track/{alpha}")
    mix_page.wait(lambda d: len(mix_page.all("[data-similar-list] li")) >= 2, message="no similar tracks listed")
    listed = mix_page.js("return [...document.querySelectorAll('[data-similar-list] li')].map(li => li.dataset.similarUid)")
    assert alpha not in listed
    assert listed == [t["uid"] for t in mix_page.api.get(f"/api/tracks/{alpha}/similar?limit=10")["tracks"]]
    assert "similarity" in mix_page.text("[data-similar-list] li")
    # The radio: the server's queue starts from this track, the player bar says so, Stop ends it.
    mix_page.click('[data-action="start-radio"]')
    mix_page.wait(lambda d: mix_page.api.get("/api/player/radio")["active"], message="the radio did not start")
    mix_page.wait(lambda d: mix_page.css("[data-radio]").is_displayed(), message="the player bar shows no radio")
    assert "Alpha in A minor" in mix_page.text("[data-radio-label]")
    mix_page.screenshot("track-similar-radio")
    assert mix_page.api.get("/api/player")["queue"][0]["uid"] == alpha
    mix_page.click('[data-action="stop-radio"]')
    mix_page.wait(lambda d: not mix_page.api.get("/api/player/radio")["active"], message="the radio did not stop")
    mix_page.wait(lambda d: not mix_page.css("[data-radio]").is_displayed(), message="the radio line stayed")
    mix_page.api.send("POST", "/api/player/stop", {})


def test_given_an_untagged_track_with_a_genre_suggestion_when_accepted_then_the_genre_is_saved_as_an_edit(mix_page):
    echo = mix_page.uids["echo"]
    suggestion = mix_page.api.get(f"/api/tracks/{echo}/genre-suggestion")
    if not suggestion["genre"]:
        pytest.skip(f"the analysis suggests no genre for the generated piece here: {suggestion}")
    mix_page.open(f"#/track/{echo}")
    mix_page.wait(lambda d: mix_page.attr("[data-genre-suggestion]", "data-genre-suggestion") == suggestion["genre"],
                  message="the suggestion is not shown")
    mix_page.click('[data-action="accept-genre"]')
    mix_page.wait(lambda d: mix_page.api.get(f"/api/tracks/{echo}")["genres"] == [suggestion["genre"]], message="the genre was not saved")
    # A tagged track gets no suggestion: the box empties once the page shows the edit.
    mix_page.wait(lambda d: not mix_page.all("[data-genre-suggestion]"), message="the suggestion stayed after Accept")


def test_given_a_playing_track_with_a_key_when_the_compatible_filter_is_on_then_only_compatible_keys_are_listed(mix_page):
    mix_page.open()
    mix_page.wait(lambda d: len(mix_page.rows()) >= 6, message="the library did not show its tracks")
    assert not mix_page.css("[data-compatible-filter]").is_displayed(), "shown with nothing playing"
    mix_page.open(f"#/track/{mix_page.uids['alpha']}")
    mix_page.click('[data-action="play"]')
    mix_page.wait(lambda d: mix_page.text("[data-now-title]") == "Alpha in A minor", message="Alpha is not playing")
    mix_page.js("location.hash = '#/library'")
    mix_page.wait(lambda d: "(A minor)" in (mix_page.text("[data-compatible-filter]") or ""), message="the filter does not name the key")
    mix_page.click("[data-compatible-filter] input")
    # 8A itself, 9A one step up, 8B its relative major — and whatever of the generated corpus the
    # analysis heard in a compatible key (the API's compatible:8A says which), nothing else.
    expected = sorted(t["title"] for t in mix_page.api.get("/api/search?q=compatible%3A8A&limit=50")["tracks"])
    assert {"Alpha in A minor", "Charlie in C major", "Echo in E minor"} <= set(expected), expected
    assert len(expected) < 6, f"every track is compatible: the filter would show nothing: {expected}"
    mix_page.wait(lambda d: sorted(c[0] for c in table_cells(mix_page)) == expected,
                  message=f"not the compatible tracks: {table_cells(mix_page)} (expected {expected})")
    mix_page.click('[data-action="clear-filters"]')
    mix_page.js("document.querySelector('[data-audio]').pause()")
