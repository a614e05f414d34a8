"""The web UI's Subsonic settings page (`#/apps`, decision 0026) in headless Chromium against the
real daemon: set a password in the page and log in with it from py-sonic; make an API key (shown
once), use it, revoke it and see it refused; the address and its QR code (an SVG image) shown.
"""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest


def subsonic(url, method, **params):
    query = urllib.parse.urlencode({"v": "1.16.1", "c": "pytest", "f": "json", **params})
    with urllib.request.urlopen(f"{url}/rest/{method}?{query}", timeout=20) as response:
        return json.loads(response.read())["subsonic-response"]


def test_given_the_apps_page_when_a_password_and_an_api_key_are_made_then_clients_log_in_with_them(page, api, web_daemon):
    libsonic = pytest.importorskip("libsonic")
    page.open("#/apps")
    address = page.wait_css("[data-subsonic-address]").text
    assert address == web_daemon.url
    assert page.all("[data-subsonic-loopback]")  # 127.0.0.1: the page says a phone cannot reach it
    page.wait(lambda d: page.js("const i = document.querySelector('[data-subsonic-qr]'); return i.complete && i.naturalWidth > 0"),
              message="the QR code image")
    svg = api.text("/api/subsonic/address.svg")
    assert svg.lstrip().startswith("<svg") or svg.lstrip().startswith("<?xml")
    user = page.text("[data-subsonic-user]")

    # A password set in the page: py-sonic logs in with it (token form: md5(password + salt)).
    page.css("[data-subsonic-password]").send_keys("from the page 1")
    page.click("[data-form=subsonic-password] button[type=submit]")
    page.wait(lambda d: api.get("/api/subsonic")["passwordSet"], message="the password to be set")
    port = int(web_daemon.url.rsplit(":", 1)[1])
    conn = libsonic.Connection("http://127.0.0.1", user, "from the page 1", port=port, appName="py-sonic")
    assert conn.ping()
    assert conn.getArtists()["artists"]["index"]
    wrong = libsonic.Connection("http://127.0.0.1", user, "not it", port=port, appName="py-sonic")
    with pytest.raises(Exception):
        wrong.ping()

    # An API key, shown once: it works until it is revoked.
    page.css("[data-subsonic-key-name]").send_keys("phone")
    page.click("[data-form=subsonic-key] button[type=submit]")
    key = page.wait_css("[data-new-key-value]").get_attribute("value")
    key_id = page.attr("[data-new-key]", "data-new-key")
    assert key.startswith("omni") and len(key) > 20
    assert subsonic(web_daemon.url, "ping", apiKey=key)["status"] == "ok"
    listed = api.get("/api/subsonic")["apiKeys"]
    assert [k["name"] for k in listed if k["id"] == key_id] == ["phone"]
    assert key not in json.dumps(listed)  # never listed again
    page.open("#/library")
    page.open("#/apps")
    page.wait_css(f"[data-subsonic-keys] li[data-key='{key_id}']")
    assert not page.all("[data-new-key-value]")  # shown once
    page.click(f"[data-subsonic-keys] li[data-key='{key_id}'] [data-action=revoke-key]")
    page.click("dialog [data-action=confirm]")
    page.wait(lambda d: not page.all(f"[data-subsonic-keys] li[data-key='{key_id}']"), message="the key to go")
    assert subsonic(web_daemon.url, "ping", apiKey=key)["error"]["code"] == 44
    page.screenshot("subsonic-settings")
