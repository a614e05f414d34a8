"""scripts/setup-deps on a machine that lacks packages, without touching this machine's packages.

Each test runs the real script with a PATH that holds only a sandbox folder: stand-ins for the
four commands that ask or change the system (`dpkg-query`, `apt-get`, `sudo`, `id`) and links to
the real tools the script uses besides (bash, tr, sed, env). The stand-ins write every call to a
log, so a test sees exactly what would have been installed, how, and in what order.

    python3 -m pytest e2e/scripts -q
"""

import os
import pty
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP_DEPS = REPO / "scripts" / "setup-deps"

# Like the real dpkg-query -W: one "status:name " per known package (FAKE_INSTALLED are
# installed, FAKE_REMOVED are known but removed), "no packages found" and exit status 1 for the rest.
DPKG_QUERY = r"""#!/bin/sh
printf 'dpkg-query %s\n' "$*" >> "$FAKE_LOG"
status=0
for arg in "$@"; do
  case "$arg" in -*) continue ;; esac
  case " $FAKE_INSTALLED " in
    *" $arg "*) printf 'installed:%s ' "$arg" ;;
    *) case " $FAKE_REMOVED " in
         *" $arg "*) printf 'config-files:%s ' "$arg" ;;
         *) echo "dpkg-query: no packages found matching $arg" >&2; status=1 ;;
       esac ;;
  esac
done
exit $status
"""

# Logs its arguments and the frontend it was given; fails `update` or `install` on request.
APT_GET = r"""#!/bin/sh
printf 'apt-get %s [DEBIAN_FRONTEND=%s]\n' "$*" "$DEBIAN_FRONTEND" >> "$FAKE_LOG"
case "$1" in
  update) [ -n "$FAKE_UPDATE_FAILS" ] && { echo "E: fake update failure" >&2; exit 100; } ;;
  install) [ -n "$FAKE_INSTALL_FAILS" ] && { echo "E: Unable to locate package" >&2; exit 100; } ;;
esac
exit 0
"""

# Logs how it was called, then runs the command (without its -n) as a real sudo would.
SUDO = r"""#!/bin/sh
printf 'sudo %s\n' "$*" >> "$FAKE_LOG"
[ "$1" = "-n" ] && shift
exec "$@"
"""

ID = r"""#!/bin/sh
[ "$1" = "-u" ] && { echo "$FAKE_UID"; exit 0; }
exit 1
"""

# Every package setup-deps asks for without --bench, read from the script itself.
def wanted_packages(array="PACKAGES"):
    """The names in one of setup-deps' package arrays (PACKAGES or BENCH_PACKAGES), in order."""
    text = SETUP_DEPS.read_text()
    block = re.search(rf"^{array}=\((.*?)^\)", text, re.S | re.M).group(1)
    return [word for line in block.splitlines() for word in line.split("#", 1)[0].split()]


@pytest.fixture
def sandbox(tmp_path):
    """A bin folder with the stand-ins and the real tools; `run(...)` runs setup-deps there."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    log.touch()

    def write(name, text):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)

    write("dpkg-query", DPKG_QUERY)
    write("apt-get", APT_GET)
    write("id", ID)
    for tool in ("bash", "tr", "sed", "env"):
        real = shutil.which(tool)
        assert real, f"{tool} is needed to run setup-deps"
        (bin_dir / tool).symlink_to(real)

    class Sandbox:
        def with_sudo(self):
            write("sudo", SUDO)

        def calls(self):
            return log.read_text().splitlines()

        def installs(self):
            return [line for line in self.calls() if line.startswith(("apt-get", "sudo"))]

        def run(self, *args, installed=(), removed=(), uid=0, stdin=subprocess.DEVNULL, **failures):
            env = {
                "PATH": str(bin_dir), "FAKE_LOG": str(log), "FAKE_UID": str(uid),
                "FAKE_INSTALLED": " ".join(installed), "FAKE_REMOVED": " ".join(removed),
                **{f"FAKE_{name.upper()}": "1" for name, on in failures.items() if on},
            }
            return subprocess.run([str(bin_dir / "bash"), str(SETUP_DEPS), *args], env=env, stdin=stdin,
                                  capture_output=True, text=True, timeout=60)

    return Sandbox()


def test_as_root_a_fresh_machine_updates_first_then_installs_exactly_the_missing_packages(sandbox):
    # Given a machine where only pkg-config and python3 are installed and ffmpeg was removed.
    wanted = wanted_packages()
    present = ["pkg-config", "python3"]
    missing = [p for p in wanted if p not in present]
    # When root runs setup-deps.
    result = sandbox.run(installed=present, removed=["ffmpeg"], uid=0)
    # Then apt-get update runs first, then one install of exactly the missing ones, without sudo.
    assert result.returncode == 0, result.stderr
    installs = sandbox.installs()
    assert installs == [
        "apt-get update -qq [DEBIAN_FRONTEND=noninteractive]",
        f"apt-get install -y -qq --no-install-recommends {' '.join(missing)} [DEBIAN_FRONTEND=noninteractive]",
    ]
    # And it says what it installs.
    assert f"installing: {' '.join(missing)}" in result.stdout
    assert f"installed {' '.join(missing)}" in result.stdout


def test_nothing_is_installed_when_every_package_is_present(sandbox):
    sandbox.with_sudo()
    result = sandbox.run(installed=wanted_packages(), uid=1000)
    assert result.returncode == 0, result.stderr
    assert sandbox.installs() == []
    assert f"all {len(wanted_packages())} Debian packages present" in result.stdout


def test_bench_adds_only_the_missing_bench_packages(sandbox):
    # Given every build package and one bench package ("time") installed
    bench = wanted_packages("BENCH_PACKAGES")
    assert "time" in bench and len(bench) > 1
    result = sandbox.run("--bench", installed=[*wanted_packages(), "time"], uid=0)
    assert result.returncode == 0, result.stderr
    # Then exactly the other bench packages are installed, in the script's order
    missing = " ".join(name for name in bench if name != "time")
    assert sandbox.installs()[1] == f"apt-get install -y -qq --no-install-recommends {missing} [DEBIAN_FRONTEND=noninteractive]"


def test_a_user_with_sudo_and_no_terminal_installs_through_sudo_n(sandbox):
    # Given a non-root user with sudo, in CI (stdin is not a terminal).
    sandbox.with_sudo()
    result = sandbox.run(installed=[p for p in wanted_packages() if p != "libsqlite3-dev"], uid=1000)
    # Then both apt-get calls go through `sudo -n`, which never waits for a password.
    assert result.returncode == 0, result.stderr
    assert sandbox.installs() == [
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "apt-get update -qq [DEBIAN_FRONTEND=noninteractive]",
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libsqlite3-dev",
        "apt-get install -y -qq --no-install-recommends libsqlite3-dev [DEBIAN_FRONTEND=noninteractive]",
    ]


def test_a_user_at_a_terminal_gets_sudo_that_may_ask_for_a_password(sandbox):
    # Given a non-root user with sudo, typing at a terminal.
    sandbox.with_sudo()
    primary, secondary = pty.openpty()
    try:
        result = sandbox.run(installed=[p for p in wanted_packages() if p != "ffmpeg"], uid=1000, stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode == 0, result.stderr
    assert [line for line in sandbox.calls() if line.startswith("sudo")] == [
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg",
    ]


def test_a_user_without_sudo_is_told_the_command_to_run_as_root(sandbox):
    result = sandbox.run(installed=[p for p in wanted_packages() if p not in ("ffmpeg", "python3")], uid=1000)
    assert result.returncode == 1
    assert sandbox.installs() == []
    assert "missing Debian packages: ffmpeg python3" in result.stderr
    assert "as root, run: apt-get update && apt-get install -y --no-install-recommends ffmpeg python3" in result.stderr


def test_a_failed_install_is_reported_in_words_with_the_command_to_run(sandbox):
    sandbox.with_sudo()
    result = sandbox.run(installed=[p for p in wanted_packages() if p != "postgresql"], uid=1000, install_fails=True)
    assert result.returncode == 1
    assert "setup-deps: apt-get install failed (exit status 100)." in result.stderr
    assert "the missing packages are: postgresql" in result.stderr
    assert ("install them by hand with: "
            "sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends postgresql'") in result.stderr
    assert "installed postgresql" not in result.stdout


def test_a_failed_update_stops_before_installing(sandbox):
    result = sandbox.run(installed=[p for p in wanted_packages() if p != "chromium"], uid=0, update_fails=True)
    assert result.returncode == 1
    assert sandbox.installs() == ["apt-get update -qq [DEBIAN_FRONTEND=noninteractive]"]
    assert "setup-deps: apt-get update failed (exit status 100)." in result.stderr
    assert ("install them by hand with: apt-get update && apt-get install -y --no-install-recommends chromium"
            in result.stderr)
