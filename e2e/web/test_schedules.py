"""Schedules in the web UI (issue 17, decision 0028), in headless Chromium against a real daemon
whose scheduler follows a clock file the test writes (`clocked_daemon`, TZ=Europe/Berlin): a
recurring schedule made in the UI fires at its time, the missed-run rule, a daylight-saving week.
"""

import json
import os
import time
import urllib.request

import pytest

BERLIN = "Europe/Berlin"


def set_clock(daemon, instant):
    """Moves the daemon's scheduler clock. Atomically (a new file renamed over the old): the
    scheduler reads the file twice a second, and between `write_text`'s truncate and its write
    it saw an empty file, took the real clock for that check (December 2026) and recorded every
    occurrence since the last run as missed: the DST test's flake at high load."""
    fresh = daemon.clock.with_name(daemon.clock.name + ".new")
    fresh.write_text(instant)
    os.replace(fresh, daemon.clock)


def runs(api, schedule_id):
    return api.get(f"/api/schedules/{schedule_id}")["runs"]


def wait_for(condition, timeout=10, message=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(message or "condition not met")


def still(condition, seconds=1.2):
    """`condition` holds for `seconds` (two ticks of the scheduler, which checks twice a second)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert condition()
        time.sleep(0.1)
    return True


class Client:
    """The JSON API of `clocked_daemon`."""

    def __init__(self, base):
        self.base = base

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.loads(response.read())

    def send(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, method=method, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return json.loads(text) if text else None


@pytest.fixture(scope="module")
def api(clocked_daemon):
    return Client(clocked_daemon.url)


@pytest.fixture(scope="module")
def playlist(api):
    tracks = api.get("/api/search?q=&limit=3")["tracks"]
    created = api.send("POST", "/api/playlists", {"name": "Wake up"})
    api.send("POST", f"/api/playlists/{created['id']}/items", {"uids": [t["uid"] for t in tracks[:2]]})
    return created["id"], [t["uid"] for t in tracks[:2]]


def test_given_a_playlist_when_a_daily_schedule_is_made_from_its_schedule_button_then_it_lists_its_next_time_and_fires_at_it(clocked_page, clocked_daemon, api, playlist):
    page = clocked_page
    playlist_id, uids = playlist
    set_clock(clocked_daemon, "2026-05-01T04:00:00Z")  # 06:00 in Berlin
    page.open(f"#/playlist/{playlist_id}")
    page.click('[data-action="schedule"]')
    page.wait_css("[data-schedule-form]")
    # The form opened with this playlist chosen.
    assert page.js("return document.querySelector('[data-field=sourceKind]').value") == "playlist"
    assert page.js("return document.querySelector('[data-field=sourceId]').value") == playlist_id
    page.js("""const set = (name, value) => { const e = document.querySelector(`[data-field=${name}]`); e.value = value;
               e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); };
               set('name', 'Alarm'); set('repeat', 'daily'); set('time', '07:00'); set('timeZone', arguments[0]);""", BERLIN)
    page.screenshot("schedule-form")
    page.click('[data-action="save-schedule"]')
    page.wait(lambda d: not page.all("dialog"), message="the form did not close")
    schedules = api.get("/api/schedules")["schedules"]
    assert len(schedules) == 1
    schedule = schedules[0]
    assert (schedule["name"], schedule["repeat"], schedule["time"], schedule["timeZone"]) == ("Alarm", "daily", "07:00", BERLIN)
    assert schedule["firesHere"] is True
    # Listed with its next time, in the schedule's zone.
    row = f'[data-schedule="{schedule["id"]}"]'
    page.wait(lambda d: page.text(row) and " 1 May 2026, 07:00" in page.text(row), message=f"next time not shown: {page.text(row)}")
    assert "Daily at 07:00" in page.text(row)

    set_clock(clocked_daemon, "2026-05-01T04:59:50Z")
    assert still(lambda: runs(api, schedule["id"]) == [])
    set_clock(clocked_daemon, "2026-05-01T05:00:00Z")
    wait_for(lambda: runs(api, schedule["id"]), message="the schedule did not fire at 07:00")
    assert runs(api, schedule["id"])[0]["outcome"] == "played"
    assert [entry["uid"] for entry in api.get("/api/player")["queue"]] == uids
    # The page shows the run (live, by the schedulesChanged event) and tomorrow's time.
    page.wait(lambda d: page.all('[data-runs] tr[data-outcome="played"]'), message="the run is not listed")
    page.wait(lambda d: " 2 May 2026, 07:00" in (page.text(row) or ""), message=f"next time not moved on: {page.text(row)}")
    page.screenshot("schedules")

    # Pause from the UI: it no longer has a next time.
    page.click(f'{row} [data-action="pause"]')
    page.wait(lambda d: page.attr(row, "data-paused") == "true")
    assert api.get(f"/api/schedules/{schedule['id']}")["schedule"]["next"] is None
    page.click(f'{row} [data-action="resume"]')
    page.wait(lambda d: page.attr(row, "data-paused") == "false")
    api_delete(api, schedule["id"])


def api_delete(api, schedule_id):
    assert api.send("DELETE", f"/api/schedules/{schedule_id}") is None  # 204


def test_given_a_daily_0800_with_a_10_minute_grace_when_the_clock_jumps_past_it_then_30_minutes_late_is_missed_and_5_minutes_late_plays(clocked_page, clocked_daemon, api, playlist):
    page = clocked_page
    playlist_id, _ = playlist
    set_clock(clocked_daemon, "2026-06-01T04:00:00Z")
    schedule = api.send("POST", "/api/schedules", {"name": "Shop opens", "sourceKind": "playlist", "sourceId": playlist_id, "time": "08:00",
                                                   "repeat": "daily", "timeZone": BERLIN, "graceMinutes": 10})["schedule"]
    # 08:30 local: the daemon "was not running" at 08:00 (the clock jumped); 30 min > 10 min grace.
    set_clock(clocked_daemon, "2026-06-01T06:30:00Z")
    wait_for(lambda: runs(api, schedule["id"]), message="no run recorded")
    assert [r["outcome"] for r in runs(api, schedule["id"])] == ["missed"]
    # Next day, back at 08:05: within the grace, it plays (late).
    set_clock(clocked_daemon, "2026-06-02T06:05:00Z")
    wait_for(lambda: len(runs(api, schedule["id"])) == 2, message="the late run did not fire")
    assert [r["outcome"] for r in runs(api, schedule["id"])] == ["played", "missed"]
    page.open("#/schedules")
    page.wait(lambda d: page.all(f'[data-runs] tr[data-run="{schedule["id"]}"][data-outcome="missed"]'), message="the missed run is not listed")
    assert "Missed" in page.text(f'[data-runs] tr[data-run="{schedule["id"]}"][data-outcome="missed"]')
    api_delete(api, schedule["id"])


def test_given_a_daily_0230_in_berlin_when_the_clock_walks_through_both_dst_weeks_then_it_fires_once_a_day_at_the_next_valid_minute_or_the_first_0230(clocked_page, clocked_daemon, api, playlist):
    page = clocked_page
    playlist_id, _ = playlist
    for start, fires, doubled in [
        # Spring: 29 March has no 02:30 (02:00 -> 03:00): it fires at 03:00 CEST = 01:00 UTC.
        ("2026-03-27T12:00:00Z", ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"], None),
        # Autumn: 25 October has 02:30 twice (00:30 and 01:30 UTC): it fires at the first only.
        ("2026-10-23T12:00:00Z", ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"], "2026-10-25T01:30:00Z"),
    ]:
        set_clock(clocked_daemon, start)
        schedule = api.send("POST", "/api/schedules", {"name": "Night", "sourceKind": "playlist", "sourceId": playlist_id, "time": "02:30",
                                                       "repeat": "daily", "timeZone": BERLIN, "graceMinutes": 1})["schedule"]
        assert schedule["next"] == epoch_ms(fires[0])
        for index, instant in enumerate(fires):
            before = iso_minus_minute(instant)
            set_clock(clocked_daemon, before)
            assert still(lambda: len(runs(api, schedule["id"])) == index)
            set_clock(clocked_daemon, instant)
            wait_for(lambda: len(runs(api, schedule["id"])) == index + 1, message=f"did not fire at {instant}")
            if index == 0 and start.startswith("2026-03"):
                # After Saturday's run, the page says Sunday's is at 03:00: the next valid minute.
                page.open("#/schedules")
                row = f'[data-schedule="{schedule["id"]}"]'
                page.wait(lambda d: "29 Mar 2026, 03:00" in (page.text(row) or ""), message=f"not 03:00: {page.text(row)}")
                page.screenshot("schedules-dst")
            if doubled and instant == "2026-10-25T00:30:00Z":
                set_clock(clocked_daemon, doubled)
                assert still(lambda: len(runs(api, schedule["id"])) == index + 1)
        planned = sorted(r["plannedMs"] for r in runs(api, schedule["id"]))
        assert planned == [epoch_ms(f) for f in fires]
        assert all(r["outcome"] == "played" for r in runs(api, schedule["id"]))
        api_delete(api, schedule["id"])


def epoch_ms(iso):
    from datetime import datetime
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def iso_minus_minute(iso):
    from datetime import datetime, timedelta, timezone
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")) - timedelta(minutes=1)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
