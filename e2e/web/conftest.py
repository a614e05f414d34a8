"""Browser fixtures: headless Chromium (Debian's chromium + chromium-driver) driven by Selenium,
against a real daemon on a 30-track make-corpus library (`web_daemon`, e2e/conftest.py).

Every test fails when the page logged a console error (SEVERE in the browser log): JavaScript
exceptions, failed requests, CSP violations. Screenshots go to e2e/web/artifacts/ (gitignored).
"""

import importlib.util
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Api:
    """The JSON API from the test's side (to check what the UI did)."""

    def __init__(self, base):
        self.base = base

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.loads(response.read())

    def send(self, method, path, body):
        """A JSON request (no Origin header: like curl, which the API allows)."""
        request = urllib.request.Request(self.base + path, method=method, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def text(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.read().decode()

    def status(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture(scope="session")
def api(web_daemon):
    return Api(web_daemon.url)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMEDRIVER).exists() or not Path(CHROMIUM).exists():
        pytest.skip("chromium and chromium-driver are not installed (scripts/setup-deps)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--autoplay-policy=no-user-gesture-required", "--window-size=1280,800", "--lang=en-US"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(20)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The browser on the app, with helpers the tests share."""

    def __init__(self, driver, url):
        self.driver, self.url = driver, url
        self.expected_errors = []

    def expect_console_error(self, text):
        """A console error containing `text` is expected (a test provoking an API error: Chromium
        logs every 4xx response of fetch as a console error)."""
        self.expected_errors.append(text)

    def open(self, hash_="#/library"):
        # about:blank first: a get() that only changes the hash would not reload the app.
        self.driver.get("about:blank")
        self.driver.get(self.url + "/" + hash_)
        self.wait(lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))

    def wait(self, condition, timeout=10, message=""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(condition, message)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def css(self, selector):
        return self.driver.find_element("css selector", selector)

    def all(self, selector):
        return self.driver.find_elements("css selector", selector)

    def wait_css(self, selector, timeout=10):
        return self.wait(lambda d: (lambda found: found[0] if found and found[0].is_displayed() else False)(
            d.find_elements("css selector", selector)), timeout, f"no visible {selector}")

    def text(self, selector):
        """The text of the first `selector` (read in the page: never stale), or None."""
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : null", selector)

    def attr(self, selector, name):
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null", selector, name)

    def click(self, selector, timeout=10):
        """Clicks the element `selector` once it is visible, again if a re-render replaced it."""
        def attempt(driver):
            try:
                element = self.wait_css(selector, timeout)
                element.click()
                return True
            except StaleElementReferenceException:
                return False
        return self.wait(attempt, timeout, f"could not click {selector}")

    def rows(self):
        """The loaded, visible table rows as (uid, title) in order."""
        return self.js("""
            return [...document.querySelectorAll('[data-track-table] .row:not([hidden])')]
              .filter(r => r.dataset.uid).sort((a, b) => a.dataset.index - b.dataset.index)
              .map(r => [r.dataset.uid, r.querySelector('.title').textContent]);""")

    def screenshot(self, name):
        self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def fresh_page(browser, url):
    """The browser at its test size on `url`'s daemon, with what earlier tests logged dropped:
    every page fixture's setup (`assert_no_console_errors` is its teardown)."""
    browser.set_window_size(1280, 800)
    browser.get_log("browser")
    return Page(browser, url)


def assert_no_console_errors(browser, page):
    """Fails the test when the page logged a console error (SEVERE) it did not expect: every page
    fixture's teardown."""
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
              and not any(text in entry["message"] for text in page.expected_errors)]
    assert not errors, "console errors:\n" + "\n".join(entry["message"] for entry in errors)


@pytest.fixture
def page(browser, web_daemon):
    page = fresh_page(browser, web_daemon.url)
    yield page
    assert_no_console_errors(browser, page)


@pytest.fixture(scope="module")
def clocked_daemon(tmp_path_factory):
    """A daemon of its own for e2e/web/test_schedules.py and test_stats.py: its scheduler
    follows a clock file the test writes (OMNISONIC_TEST_CLOCK_FILE, test-only), the process
    runs in TZ=Europe/Berlin, and the server player plays into ALSA's `file` plugin. One per
    test module (schedules fire plays, which would change another module's statistics)."""
    spec = importlib.util.spec_from_file_location("omni_tests_root_web", Path(__file__).resolve().parents[1] / "conftest.py")
    root = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root)
    clock = tmp_path_factory.mktemp("clocked") / "clock"
    clock.write_text("2026-05-01T04:00:00Z")
    daemon = root.start_daemon(tracks=12, seed=17, prefix="omnisonic-clocked-", capture=True,
                               env={"OMNISONIC_TEST_CLOCK_FILE": str(clock), "TZ": "Europe/Berlin"},
                               extra_args=("--output", "capture", "--mpd-listen", "off"))
    daemon.clock = clock
    api = Api(daemon.url)
    deadline = time.monotonic() + 60
    # The start scan: done once it is idle with tracks in the library.
    while (api.get("/api/scan")["running"] or not api.get("/api/search?q=&limit=1")["tracks"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def clocked_page(browser, clocked_daemon):
    """The browser on `clocked_daemon` (console errors fail the test, as with `page`)."""
    page = fresh_page(browser, clocked_daemon.url)
    yield page
    assert_no_console_errors(browser, page)


# ---- issue 14: a daemon with analysed pieces of known tempo and key (e2e/web/test_mix.py) ----

# name → (BPM, chord frequencies, bass, title, artist). 120 BPM A minor (8A), 125 BPM E minor
# (9A, one step from 8A), 100 BPM C major (8B, the relative major of A minor).
PIECES = {
    "alpha": (120, (220.0, 261.63, 329.63), 110.0, "Alpha in A minor", "Mixer One"),
    "echo": (125, (164.81, 196.0, 246.94), 82.41, "Echo in E minor", "Mixer Two"),
    "charlie": (100, (261.63, 329.63, 392.0), 130.81, "Charlie in C major", "Mixer Three"),
}


def write_piece(path, bpm, chord, bass, title, artist, seconds=16):
    """A kick on every beat, a noise hat between beats, a held triad and its root in the bass."""
    beat = 60 / bpm
    tones = "+".join(f"sin(2*PI*{f}*t)" for f in chord)
    expression = (f"0.6*sin(2*PI*55*t)*exp(-25*mod(t,{beat}))+0.25*(random(0)*2-1)*exp(-60*mod(t+{beat / 2},{beat}))"
                  f"+0.12*({tones})+0.15*sin(2*PI*{bass}*t)")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"aevalsrc=exprs='{expression}':s=44100:d={seconds}",
                    "-metadata", f"title={title}", "-metadata", f"artist={artist}", "-metadata", "album=Mix Test",
                    "-c:a", "flac", str(path)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def mix_daemon(tmp_path_factory):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is missing (scripts/setup-deps)")
    spec = importlib.util.spec_from_file_location("omni_tests_root_mix", Path(__file__).resolve().parents[1] / "conftest.py")
    root = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root)
    pieces = tmp_path_factory.mktemp("mix") / "pieces"
    pieces.mkdir()
    for name, (bpm, chord, bass, title, artist) in PIECES.items():
        write_piece(pieces / f"{name}.flac", bpm, chord, bass, title, artist)
    daemon = root.start_daemon(tracks=3, seed=23, prefix="omnisonic-mix-", capture=True,
                               extra_args=("--output", "capture", "--mpd-listen", "off"))
    try:
        shutil.copytree(pieces, daemon.music / "Mix Test")
        api = Api(daemon.url)
        uids = {}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            found = {t["title"]: t for t in api.get("/api/search?q=Mixer&limit=10")["tracks"]}
            uids = {name: found[piece[3]]["uid"] for name, piece in PIECES.items() if piece[3] in found}
            status = api.get("/api/analysis")
            if len(uids) == len(PIECES) and not status["queued"] and all(
                    api.get(f"/api/tracks/{uid}/analysis")["state"] == "done" for uid in uids.values()):
                break
            time.sleep(0.3)
        else:
            pytest.fail(f"the pieces were not indexed and analysed within 90 s: {uids}, {api.get('/api/analysis')}")
        daemon.uids = uids
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def mix_page(browser, mix_daemon):
    """The browser on `mix_daemon`, keys in standard notation (console errors fail the test)."""
    page = fresh_page(browser, mix_daemon.url)
    page.uids = mix_daemon.uids
    page.api = Api(mix_daemon.url)
    yield page
    page.js("localStorage.removeItem('omnisonic.keyNotation'); localStorage.removeItem('omnisonic.output')")
    assert_no_console_errors(browser, page)
