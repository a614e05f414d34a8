"""The sync server's administration page (issue 17, decision 0022) in headless Chromium, against a
real `omnisonicd sync-server` on SQLite and on a throwaway PostgreSQL, with a real daemon syncing
through it: add a device (token and QR code shown once), see it sync, revoke it and see the
daemon refused, rename, compact, delete its user (typed confirmation) and see the data gone; the
audit log says who did what.
"""

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException

import importlib.util

# e2e/conftest.py (the daemon fixtures), loaded by path: e2e/web/conftest.py has the same name.
_spec = importlib.util.spec_from_file_location("omnisonic_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
binary, start_daemon = _root.binary, _root.start_daemon

pytest.importorskip("selenium.webdriver")


class Server:
    """`omnisonicd sync-server serve` on a free loopback port."""

    def __init__(self, exe, storage_args):
        self.exe, self.storage_args = exe, storage_args
        self.process = subprocess.Popen([exe, "sync-server", "serve", *storage_args, "--listen", "127.0.0.1:0",
                                         "--keep-tail", "0", "--log-level", "warning"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.process.stdout], daemon=True).start()
        self.errors = []
        threading.Thread(target=lambda: self.errors.extend(self.process.stderr), daemon=True).start()
        self.url = None
        deadline = time.monotonic() + 30
        while self.url is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line.startswith("listening on "):
                self.url = line.split("listening on ", 1)[1].strip()
        assert self.url, "sync-server did not start: " + "".join(self.errors)[-2000:]

    def command(self, *args):
        """A `sync-server` subcommand on the same storage; returns its last output line."""
        out = subprocess.run([self.exe, "sync-server", *args, *self.storage_args], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip().splitlines()[-1]

    def request(self, path, token=None, method="GET", body=None, headers=None):
        """(status, parsed JSON or text)."""
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, method=method, data=data, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def postgres_url(work):
    """A throwaway PostgreSQL server in `work` (as the Swift tests' PostgresServer); its URL, and a stop function."""
    versions = sorted(p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")) if Path("/usr/lib/postgresql").exists() else []
    if not versions:
        pytest.skip("PostgreSQL is not installed (scripts/setup-deps)")
    bin_dir = versions[-1].parent
    folder = Path(work) / "pg"
    os.chmod(work, 0o755)  # the postgres account must reach its folder inside (mkdtemp makes 0700)
    folder.mkdir(mode=0o700)
    as_postgres = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_postgres = ["/usr/sbin/runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, bin_dir / "initdb", "-D", folder / "data", "-A", "trust", "-U", "postgres", "-E", "UTF8",
                    "--no-sync", "--no-instructions"], check=True, capture_output=True)
    with socket_port() as port:
        pass
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    subprocess.run([*as_postgres, bin_dir / "pg_ctl", "-D", folder / "data", "-l", folder / "log", "-w", "-t", "60", "-o", options,
                    "start"], check=True, capture_output=True, stdin=subprocess.DEVNULL)

    def stop():
        subprocess.run([*as_postgres, bin_dir / "pg_ctl", "-D", folder / "data", "-m", "immediate", "stop"], capture_output=True)

    return f"postgres://postgres@127.0.0.1:{port}/postgres", stop


class socket_port:
    """A free loopback port (bound and released)."""

    def __enter__(self):
        import socket
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        return self.socket.getsockname()[1]

    def __exit__(self, *args):
        self.socket.close()


@pytest.fixture(params=["sqlite", "postgres"])
def sync_server(request):
    exe = binary()
    if exe is None:
        pytest.skip("omnisonicd is not built (swift build), or set OMNISONICD_BIN")
    work = tempfile.mkdtemp(prefix="omnisonic-sync-admin-")
    stop_pg = None
    if request.param == "sqlite":
        storage = ["--data", str(Path(work) / "sync")]
    else:
        url, stop_pg = postgres_url(work)
        storage = ["--postgres", url]
    server = Server(exe, storage)
    server.backend = request.param
    server.work = work
    try:
        yield server
    finally:
        server.stop()
        if stop_pg:
            stop_pg()
        shutil.rmtree(work, ignore_errors=True)


def wait(condition, timeout=20, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


def test_admin_page_adds_revokes_and_deletes(browser, sync_server):
    server = sync_server
    browser.get_log("browser")

    # No administrator token yet: there is no page.
    assert server.request("/admin/")[0] == 404
    admin_token = server.command("admin-token", "--name", "ops")
    assert len(admin_token) == 64
    assert server.request("/admin/")[0] == 200

    # Sign in: the token goes into the form, never into the address.
    browser.get(server.url + "/admin/")
    find = lambda selector: browser.find_element("css selector", selector)
    js = browser.execute_script
    wait(lambda: find("[data-sign-in]").is_displayed(), message="the sign-in form")
    find("#token").send_keys(admin_token)
    find("[data-form=sign-in] button").click()
    wait(lambda: find("[data-console]").is_displayed(), message="the console")
    assert admin_token not in browser.current_url
    assert js("return document.querySelector('[data-health=database]').textContent").startswith("ok")

    # Add a device: its token and a QR code of the daemon's settings, shown once.
    find("[data-form=add-device] input[name=user]").send_keys("alice")
    find("[data-form=add-device] input[name=name]").send_keys("laptop")
    find("[data-form=add-device] button").click()
    wait(lambda: find("[data-added]").is_displayed(), message="the new device's settings")
    device_token = find("[data-added-token]").get_attribute("value")
    settings = find("[data-added-settings]").get_attribute("value")
    assert len(device_token) == 64 and f'token = "{device_token}"' in settings
    assert f'url = "{server.url}"' in settings
    wait(lambda: js("const i = document.querySelector('[data-added-qr] img'); return i && i.complete && i.naturalWidth > 0"),
         message="the QR code image")
    browser.save_screenshot(str(Path(__file__).resolve().parent / "artifacts" / f"sync-admin-{server.backend}.png"))
    find("[data-action=close-added]").click()
    assert find("[data-added-token]").get_attribute("value") == ""

    # A real daemon syncs with that token; what it records reaches the stream.
    daemon = start_daemon(tracks=3, seed=5, prefix="omnisonic-admin-daemon-",
                          extra_args=["--sync-url", server.url, "--sync-token", device_token])
    try:
        def sync_state():
            with urllib.request.urlopen(daemon.url + "/api/sync", timeout=10) as response:
                return json.loads(response.read())
        wait(lambda: sync_state().get("connected"), message="the daemon to connect")
        def tracks():
            with urllib.request.urlopen(daemon.url + "/api/search?q=&limit=5", timeout=10) as response:
                return json.loads(response.read())["tracks"]
        uid = wait(tracks, message="the daemon's scan")[0]["uid"]
        rate = urllib.request.Request(daemon.url + f"/api/tracks/{uid}/rating", method="PUT", data=b'{"rating":4}',
                                      headers={"Content-Type": "application/json"})
        urllib.request.urlopen(rate, timeout=10).close()
        wait(lambda: server.request("/admin/api/overview", admin_token)[1]["users"][0]["operations"] >= 1,
             message="the rating to reach the stream")

        # Rename it, then revoke it: the daemon is refused from then on.
        browser.refresh()
        wait(lambda: find("[data-console]").is_displayed())
        row = wait(lambda: browser.find_elements("css selector", "[data-table=devices] tbody tr"), message="the device row")[0]
        device_id = row.get_attribute("data-device")
        find(f"[data-table=devices] tr[data-device='{device_id}'] button[data-action=rename]").click()
        dialog_input = find("[data-dialog=rename] input")
        dialog_input.clear()
        dialog_input.send_keys("work laptop")
        find("[data-form=rename] button[type=submit]").click()
        wait(lambda: js("return document.querySelector(`[data-device='${arguments[0]}'] [data-field=name]`).textContent", device_id)
             == "work laptop", message="the new name")

        find(f"[data-table=devices] tr[data-device='{device_id}'] button[data-action=revoke]").click()
        wait(lambda: js("return document.querySelector(`[data-device='${arguments[0]}'] [data-field=state]`).textContent", device_id)
             == "revoked", message="the revoked state")
        assert server.request("/v1/pull?after=0", device_token)[0] == 401
        wait(lambda: not sync_state().get("connected") and "revoked" in (sync_state().get("error") or ""),
             message="the daemon to be refused")
    finally:
        daemon.stop()

    # Compact now, then delete the user: the wrong name keeps the button off.
    find("[data-table=users] button[data-action=compact]").click()
    wait(lambda: "Compacted" in find("[data-message]").text, message="the compaction message")
    # The compaction re-renders the users' table: click the button of the table as it is now.
    def click_delete():
        try:
            find("[data-table=users] button[data-action=delete-user]").click()
            return True
        except StaleElementReferenceException:
            return False
    wait(click_delete, message="the delete button")
    confirm = find("[data-dialog=delete-user] input")
    confirm.send_keys("alic")
    assert not find("[data-form=delete-user] button[type=submit]").is_enabled()
    confirm.send_keys("e")
    find("[data-form=delete-user] button[type=submit]").click()
    wait(lambda: js("return document.querySelectorAll('[data-table=users] tbody tr').length") == 0, message="the user to go")

    overview = server.request("/admin/api/overview", admin_token)[1]
    assert overview["users"] == [] and overview["devices"] == []
    # A new device of a new "alice" starts from an empty stream: nothing of the old one is left.
    fresh = server.command("add-device", "--user", "alice")
    status, page = server.request("/v1/pull?after=0", fresh)
    assert status == 200 and page["head"] == 0 and page["ops"] == []

    # The audit log, on the page: who did what.
    browser.refresh()
    wait(lambda: find("[data-console]").is_displayed())
    audit = js("return [...document.querySelectorAll('[data-table=audit] tbody tr')].map(r => r.innerText)")
    for action in ["device.add", "device.rename", "device.revoke", "user.compact", "user.delete"]:
        assert any(action in line and "admin ops" in line for line in audit), (action, audit)
    assert any("admin-token.add" in line and "command line" in line for line in audit)

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
