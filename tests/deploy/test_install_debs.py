"""deploy/local/install-pdf.sh (`make run`) on machines as they are: another apt-get holding the
package lock, a user who is not root. The script runs for real with stand-ins on PATH for `id`,
`dpkg-query`, `sudo` and `apt-get`, so nothing is installed and no root is needed."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PDF_PACKAGES = ["fonts-noto-cjk", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"]

STUBS = {
    # The user: FAKE_UID (0 is root).
    "id": """#!/bin/bash
case "$1" in -u) echo "$FAKE_UID" ;; -un) echo fake ;; *) exec /usr/bin/id "$@" ;; esac
""",
    # Installed packages: those in FAKE_INSTALLED.
    "dpkg-query": """#!/bin/bash
for p in $FAKE_INSTALLED; do [ "$p" = "${@: -1}" ] && { echo installed; exit 0; }; done
exit 1
""",
    # sudo: FAKE_SUDO=nopasswd runs the command, anything else asks for a password it cannot get.
    "sudo": """#!/bin/bash
[ "$FAKE_SUDO" = nopasswd ] || { echo "sudo: a password is required" >&2; exit 1; }
[ "$1" = -n ] && shift
echo "sudo $*" >>"$FAKE_LOG"
exec "$@"
""",
    # apt-get: logs its arguments; refuses with the lists' lock error while FAKE_LOCKED (a file)
    # holds a number above 0, counting it down (or for ever when it says "always").
    "apt-get": """#!/bin/bash
echo "apt-get $*" >>"$FAKE_LOG"
if [ -s "$FAKE_LOCKED" ]; then
  n="$(cat "$FAKE_LOCKED")"
  if [ "$n" = always ] || [ "$n" -gt 0 ]; then
    [ "$n" = always ] || echo $((n - 1)) >"$FAKE_LOCKED"
    echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
    echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
    exit 100
  fi
fi
""",
    "fc-cache": "#!/bin/bash\nexit 0\n",
}


@pytest.fixture
def fake(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in STUBS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    env.update(
        {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "FAKE_UID": "1000",
            "FAKE_INSTALLED": "",
            "FAKE_SUDO": "password",
            "FAKE_LOG": str(tmp_path / "calls.log"),
            "FAKE_LOCKED": str(tmp_path / "locked"),
            # Where the scripts keep state: not this checkout's var/.
            "GOVHALL_VAR": str(tmp_path / "var"),
        }
    )
    return env


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[int]:
    """A process named apt-get, as another terminal's apt-get holding the lock would be."""
    (tmp_path / "holder").mkdir()
    program = tmp_path / "holder" / "apt-get"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    proc = subprocess.Popen([str(program), "300"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait(timeout=10)


def install_pdf(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "deploy/local/install-pdf.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def calls(env: dict[str, str]) -> list[str]:
    log = Path(env["FAKE_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def timeout(call: str) -> int:
    """The DPkg::Lock::Timeout an apt-get call was given."""
    return int(call.split("DPkg::Lock::Timeout=", 1)[1].split()[0])


def test_not_root_names_the_missing_packages_and_the_command(fake: dict[str, str]) -> None:
    fake["FAKE_INSTALLED"] = "fonts-noto-cjk libpango-1.0-0"

    done = install_pdf(fake)

    assert done.returncode == 1
    missing = "libpangoft2-1.0-0 libharfbuzz-subset0"
    assert f"these Debian packages are missing: {missing}" in done.stderr
    assert f"sudo apt-get install -y --no-install-recommends {missing}\n" in done.stderr
    assert "fonts-noto-cjk" not in done.stderr
    assert calls(fake) == []  # no apt-get, no password prompt


def test_not_root_with_sudo_that_needs_no_password_installs_through_it(fake: dict[str, str]) -> None:
    fake["FAKE_SUDO"] = "nopasswd"

    done = install_pdf(fake)

    assert done.returncode == 0, done.stderr
    log = calls(fake)
    install = f"install -y -qq --no-install-recommends {' '.join(PDF_PACKAGES)}"
    apt_env = "sudo env DEBIAN_FRONTEND=noninteractive apt-get"
    assert log == [
        "sudo true",  # asked without a prompt first
        f"{apt_env} -o DPkg::Lock::Timeout={timeout(log[1])} update -qq",
        f"apt-get -o DPkg::Lock::Timeout={timeout(log[1])} update -qq",
        f"{apt_env} -o DPkg::Lock::Timeout={timeout(log[3])} {install}",
        f"apt-get -o DPkg::Lock::Timeout={timeout(log[3])} {install}",
        "sudo fc-cache -s",  # the new CJK fonts into fontconfig's cache
    ]
    assert "installing Debian packages (through sudo): " + " ".join(PDF_PACKAGES) in done.stderr


def test_nothing_missing_installs_nothing(fake: dict[str, str]) -> None:
    fake["FAKE_INSTALLED"] = " ".join(PDF_PACKAGES)

    done = install_pdf(fake)

    assert done.returncode == 0, done.stderr
    assert "Debian packages present" in done.stderr
    assert calls(fake) == []


def test_root_waits_for_the_lock_another_apt_get_holds(fake: dict[str, str], holder: int) -> None:
    fake["FAKE_UID"] = "0"
    Path(fake["FAKE_LOCKED"]).write_text("2")  # the first two attempts find the lists locked

    done = install_pdf(fake)

    assert done.returncode == 0, done.stderr
    assert f"another package manager is running: apt-get (pid {holder})" in done.stderr
    assert "waiting up to " in done.stderr and "GOVHALL_APT_LOCK_TIMEOUT" in done.stderr
    apt = calls(fake)
    assert [c.split(" ", 3)[3] for c in apt] == [
        "update -qq",
        "update -qq",
        "update -qq",
        f"install -y -qq --no-install-recommends {' '.join(PDF_PACKAGES)}",
    ]
    # apt-get itself waits for dpkg's lock, never longer than what is left of the bound.
    assert all(0 < timeout(c) <= 600 for c in apt)


def test_root_gives_up_when_the_lock_is_not_released_in_time(fake: dict[str, str], holder: int) -> None:
    fake["FAKE_UID"] = "0"
    fake["GOVHALL_APT_LOCK_TIMEOUT"] = "2"
    Path(fake["FAKE_LOCKED"]).write_text("always")

    done = install_pdf(fake)

    assert done.returncode == 1
    assert f"the package lock was still held after 2 s (by apt-get (pid {holder}))" in done.stderr
    assert "GOVHALL_APT_LOCK_TIMEOUT=<seconds>" in done.stderr
    assert "Could not get lock /var/lib/apt/lists/lock" in done.stderr  # apt-get's own words too
    assert calls(fake) and all("update" in c for c in calls(fake))  # never went on to install


def test_another_apt_get_failure_is_not_waited_for(fake: dict[str, str]) -> None:
    fake["FAKE_UID"] = "0"
    apt_get = Path(fake["PATH"].split(":", 1)[0]) / "apt-get"
    apt_get.write_text(
        '#!/bin/bash\necho "apt-get $*" >>"$FAKE_LOG"\necho "E: Unable to locate package x" >&2\nexit 100\n'
    )

    done = install_pdf(fake)

    assert done.returncode == 1
    assert "E: Unable to locate package x" in done.stderr
    assert "apt-get update -qq failed (exit 100)" in done.stderr
    assert len(calls(fake)) == 1
