"""The Statistics page (issue 17, decision 0028) in headless Chromium against a real daemon
(`clocked_daemon`: the server player plays into ALSA's `file` plugin): plays made through the
web UI's own player and through the server player show in the statistics and the play history,
the chart's numbers are in a table for screen readers, the chart follows the theme, and the CSV
export reads back.
"""

import csv
import io
import json
import time
import urllib.request

import pytest


def get(daemon, path):
    with urllib.request.urlopen(daemon.url + path, timeout=10) as response:
        return json.loads(response.read())


def post(daemon, path, body):
    request = urllib.request.Request(daemon.url + path, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(condition, timeout=20, message=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(message or "condition not met")


def listens(daemon):
    return get(daemon, "/api/history?limit=100")["listens"]


def test_given_plays_through_the_web_ui_and_the_server_player_when_the_statistics_page_opens_then_it_counts_them_charts_them_and_the_csv_reads_back(clocked_page, clocked_daemon):
    page, daemon = clocked_page, clocked_daemon
    tracks = get(daemon, "/api/search?q=&limit=100")["tracks"]
    playable = [t for t in tracks if t.get("durationMs")]
    first, second = playable[0], playable[1]

    # Through the UI: the browser's own player (Enter on a row plays from there).
    page.open("#/library")
    page.wait(lambda d: page.rows(), message="no rows")
    uid = page.rows()[0][0]
    page.js("""const row = document.querySelector(`[data-track-table] .row[data-uid="${arguments[0]}"]`);
               row.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));""", uid)
    wait_for(lambda: any(l["client"] == "web" and l["uid"] == uid for l in listens(daemon)), message="the browser's play was not recorded")
    page.js("document.querySelector('[data-audio]').pause()")

    # Through the server player (what the UI's switch and MPD drive), into ALSA's file plugin.
    post(daemon, "/api/player/queue", {"uids": [second["uid"]], "replace": True})
    post(daemon, "/api/player/play", {})
    wait_for(lambda: any(l["client"] == "player" and l["uid"] == second["uid"] for l in listens(daemon)),
             message="the server player's play was not recorded")

    history = listens(daemon)
    page.open("#/stats")
    page.wait_css('[data-stat="plays"]')
    assert page.text('[data-stat="plays"] .stat-value') == str(len(history))
    top = page.text('[data-table="top-tracks"]')
    played_titles = {l["title"] for l in history}
    assert all(title in top for title in played_titles)
    # The chart: one bar a day for the last 30 days; today's number is in the table too.
    assert len(page.all("[data-chart] rect.chart-bar")) == 30
    rows = page.js("return [...document.querySelectorAll('[data-chart-table] tbody tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent])")
    assert len(rows) == 30 and rows[-1][1] == str(len(history))
    library = get(daemon, "/api/stats")["library"]
    assert page.text('[data-stat="tracks"] .stat-value') == f"{library['tracks']:,}"
    assert page.js("return document.querySelector('[data-duplicates]').dataset.duplicates") == "unavailable"
    page.screenshot("stats")

    # Readable in both themes: the bars take the theme's accent colour.
    light = page.js("return getComputedStyle(document.querySelector('rect.chart-bar')).fill")
    page.click('[data-action="toggle-theme"]')
    page.wait(lambda d: page.js("return getComputedStyle(document.querySelector('rect.chart-bar')).fill") != light)
    assert page.js("return getComputedStyle(document.querySelector('rect.chart-bar')).fill") == "rgb(139, 135, 255)"
    page.screenshot("stats-dark")
    page.click('[data-action="toggle-theme"]')

    # The CSV export, from the page's own link, read back.
    href = page.attr('[data-action="export-csv"]', "href")
    with urllib.request.urlopen(daemon.url + href, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        text = response.read().decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(history)
    assert {r["client"] for r in rows} >= {"web", "player"}
    assert {r["uid"] for r in rows} >= {uid, second["uid"]}
    by_uid = {r["uid"]: r for r in rows}
    assert by_uid[second["uid"]]["title"] == second["title"]
    assert int(by_uid[second["uid"]]["duration_ms"]) == second["durationMs"]
    assert first  # two playable tracks were there
