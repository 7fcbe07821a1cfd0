"""The files that schedule `cspr jobs nightly` (cron/, docs/cron.md).

The wrapper cron/cspr-nightly is run for real, with a fake cspr (a shell script written
into tmp_path) and a data directory and env file under tmp_path. The crontab and the
systemd units are parsed, and checked with systemd-analyze where it is installed.
"""

from __future__ import annotations

import configparser
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest

REPO = Path(__file__).resolve().parents[2]
CRON = REPO / "cron"
WRAPPER = CRON / "cspr-nightly"
INSTALLED_WRAPPER = "/opt/cspr-ledger/cron/cspr-nightly"
LONDON = ZoneInfo("Europe/London")

SUMMARY = {"as_of": "2025-12-18", "breaches_recorded": 2, "escalations": 1, "cases": 7}

# The fake cspr: records its arguments and a few variables, prints the summary pretty-
# printed (the wrapper must put it on one line), optionally sleeps, exits FAKE_RC.
FAKE_CSPR = r"""#!/bin/sh
printf '%s|home=%s|db=%s|smtp=%s\n' "$*" "$CSPR_HOME" "${CSPR_DATABASE_URL:-}" \
    "${CSPR_SMTP_URL:-}" >>"$FAKE_DIR/calls"
if [ -n "${FAKE_OUTPUT:-}" ]; then
    printf '%s\n' "$FAKE_OUTPUT"
else
    cat "$FAKE_DIR/summary.json"
fi
if [ "${FAKE_SLEEP:-0}" != 0 ]; then
    echo $$ >"$FAKE_DIR/started"
    sleep "$FAKE_SLEEP"
fi
exit "${FAKE_RC:-0}"
"""

LINE = re.compile(
    r"^(?P<end>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) cspr-nightly status=(?P<status>[a-z-]+)"
    r" exit=(?P<exit>\d+) start=(?P<start>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"
    r" host=(?P<host>\S+) pid=(?P<pid>\d+) summary=(?P<summary>.*)$")

needs_flock = pytest.mark.skipif(
    shutil.which("flock") is None,
    reason="flock(1) not found (it is in util-linux): the wrapper cannot run without it")


@dataclass
class Setup:
    tmp: Path
    home: Path
    env_file: Path
    fake_dir: Path

    @property
    def log(self) -> Path:
        return self.home / "logs" / "nightly.log"

    @property
    def last_run(self) -> Path:
        return self.home / "logs" / "last-run.json"

    @property
    def lock(self) -> Path:
        return self.home / "nightly.lock"

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment: nothing of the caller's CSPR_* leaks in."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C",
               "CSPR_ENV_FILE": str(self.env_file), "FAKE_DIR": str(self.fake_dir)}
        env.update(extra)
        return env

    def run(self, *args: str, shell: str | None = None, **extra: str
            ) -> subprocess.CompletedProcess[str]:
        cmd = ([shell] if shell else []) + [str(WRAPPER), *args]
        return subprocess.run(cmd, env=self.env(**extra), capture_output=True, text=True,
                              timeout=60)

    def start(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen([str(WRAPPER), *args], env=self.env(**extra),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)

    def calls(self) -> list[str]:
        path = self.fake_dir / "calls"
        return path.read_text().splitlines() if path.exists() else []

    def log_lines(self) -> list[re.Match[str]]:
        lines = self.log.read_text().splitlines()
        matches = [LINE.match(line) for line in lines]
        assert all(matches), lines
        return matches  # type: ignore[return-value]

    def wait_started(self, timeout: float = 20) -> int:
        """Until the (sleeping) fake cspr has started; returns its pid."""
        marker = self.fake_dir / "started"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text())
            time.sleep(0.05)
        raise AssertionError("the fake cspr did not start")


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    home = tmp_path / "home"
    home.mkdir()
    fake_dir = tmp_path / "fake"
    fake_dir.mkdir()
    fake = fake_dir / "cspr"
    fake.write_text(FAKE_CSPR)
    fake.chmod(0o755)
    (fake_dir / "summary.json").write_text(json.dumps(SUMMARY, indent=2) + "\n")
    env_file = tmp_path / "env"
    env_file.write_text(
        "# settings for the test\n"
        "\n"
        f"CSPR_HOME={home}\n"
        f'CSPR_BIN="{fake}"\n'
        "CSPR_DATABASE_URL='postgresql+psycopg://cspr@db/cspr'\n"
        "  CSPR_SMTP_URL=smtp://u:pa$$w0rd`x`@mail:587\n"
        "; another comment\n")
    return Setup(tmp_path, home, env_file, fake_dir)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test started, killed (whole session) if still running at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(10)


def _shells() -> list[str | None]:
    """The wrapper's own #!/bin/sh, and each POSIX shell found here."""
    found: list[str | None] = [None]
    for name in ("dash", "bash"):
        path = shutil.which(name)
        if path:
            found.append(path)
    return found


# --- the wrapper, run for real ---------------------------------------------------------

def test_wrapper_is_an_executable_posix_sh_script() -> None:
    text = WRAPPER.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "set -eu" in text
    assert WRAPPER.stat().st_mode & stat.S_IXUSR
    for shell in [s for s in _shells() if s] + ["sh"]:
        subprocess.run([shell, "-n", str(WRAPPER)], check=True)
    bashisms = shutil.which("checkbashisms")
    if bashisms:
        subprocess.run([bashisms, str(WRAPPER)], check=True)


@needs_flock
@pytest.mark.parametrize("shell", _shells(), ids=lambda s: Path(s).name if s else "shebang")
def test_a_good_night_is_logged_and_recorded(setup: Setup, shell: str | None) -> None:
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    result = setup.run(shell=shell)
    after = dt.datetime.now(dt.timezone.utc)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""

    assert setup.calls() == [
        "jobs nightly --json|home=%s|db=postgresql+psycopg://cspr@db/cspr"
        "|smtp=smtp://u:pa$$w0rd`x`@mail:587" % setup.home]

    [line] = setup.log_lines()
    assert line["status"] == "ok" and line["exit"] == "0"
    assert json.loads(line["summary"]) == SUMMARY
    assert int(line["pid"]) > 0 and line["host"] == os.uname().nodename
    start = dt.datetime.fromisoformat(line["start"].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(line["end"].replace("Z", "+00:00"))
    assert before <= start <= end <= after
    assert result.stdout.strip() == line.group(0)   # the journal sees the same line

    last = json.loads(setup.last_run.read_text())
    assert last == {"start": line["start"], "end": line["end"], "exit_code": 0,
                    "status": "ok", "host": line["host"], "summary": SUMMARY}
    assert sorted(p.name for p in setup.last_run.parent.iterdir()) == [
        "last-run.json", "nightly.log"]       # no temporary file left behind
    assert setup.lock.exists()


@needs_flock
@pytest.mark.parametrize("code,status", [(1, "problem"), (2, "bad-input"), (3, "failed")])
def test_cspr_exit_code_is_propagated(setup: Setup, code: int, status: str) -> None:
    setup.run()                                   # a good night first
    result = setup.run(FAKE_RC=str(code))
    assert result.returncode == code
    assert result.stdout == ""                    # a failure goes to stderr (cron mails it)
    first, second = setup.log_lines()
    assert first["exit"] == "0"
    assert (second["status"], second["exit"]) == (status, str(code))
    assert second.group(0) in result.stderr
    last = json.loads(setup.last_run.read_text())
    assert (last["exit_code"], last["status"], last["summary"]) == (code, status, SUMMARY)


@needs_flock
def test_arguments_go_to_cspr(setup: Setup) -> None:
    assert setup.run("--as-of", "2025-12-18").returncode == 0
    assert setup.calls()[0].startswith("jobs nightly --json --as-of 2025-12-18|")


@needs_flock
def test_environment_wins_over_the_env_file_and_paths_can_move(setup: Setup) -> None:
    other = setup.tmp / "elsewhere"
    result = setup.run(CSPR_DATABASE_URL="postgresql+psycopg://other@db/x",
                       CSPR_LOCK_FILE=str(other / "lock"),
                       CSPR_LOG_FILE=str(other / "log" / "n.log"),
                       CSPR_LAST_RUN_FILE=str(other / "state" / "last.json"))
    assert result.returncode == 0, result.stderr
    assert "|db=postgresql+psycopg://other@db/x|" in setup.calls()[0]
    assert (other / "lock").exists()
    assert "status=ok" in (other / "log" / "n.log").read_text()
    assert json.loads((other / "state" / "last.json").read_text())["exit_code"] == 0
    assert not (setup.home / "logs" / "nightly.log").exists()


@needs_flock
def test_output_other_than_json_is_never_logged(setup: Setup) -> None:
    secret = "Traceback: could not seal child Testchild Example"
    result = setup.run(FAKE_OUTPUT=secret, FAKE_RC="1")
    assert result.returncode == 1
    [line] = setup.log_lines()
    assert line["summary"] == "null"
    assert json.loads(setup.last_run.read_text())["summary"] is None
    for text in (setup.log.read_text(), setup.last_run.read_text(), result.stderr,
                 result.stdout):
        assert "Testchild" not in text
    assert f"{len(secret)} bytes, not logged" in result.stderr


@needs_flock
def test_a_held_lock_exits_75_without_running_cspr(setup: Setup) -> None:
    setup.lock.touch()
    with setup.lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # e.g. `flock nightly.lock ...`
        result = setup.run()
    assert result.returncode == 75
    assert setup.calls() == []
    assert not setup.last_run.exists()            # last-run.json is the last real run
    [line] = setup.log_lines()
    assert (line["status"], line["exit"], line["summary"]) == ("lock-held", "75", "null")
    assert "another run holds" in result.stderr
    assert setup.run().returncode == 0            # released: the next run goes ahead


@needs_flock
def test_a_second_wrapper_during_a_run_exits_75(
        setup: Setup, procs: list[subprocess.Popen[str]]) -> None:
    first = setup.start(FAKE_SLEEP="3")
    procs.append(first)
    setup.wait_started()

    second = setup.run()
    assert second.returncode == 75, second.stderr
    assert len(setup.calls()) == 1                # the second never ran cspr
    assert not setup.last_run.exists()
    [line] = setup.log_lines()
    assert line["status"] == "lock-held"

    assert first.wait(30) == 0
    lines = setup.log_lines()
    assert [m["status"] for m in lines] == ["lock-held", "ok"]
    assert json.loads(setup.last_run.read_text())["status"] == "ok"
    assert setup.run().returncode == 0 and len(setup.calls()) == 2


@needs_flock
def test_the_lock_is_held_while_cspr_runs_even_if_the_wrapper_dies(
        setup: Setup, procs: list[subprocess.Popen[str]]) -> None:
    first = setup.start(FAKE_SLEEP="30")
    procs.append(first)
    setup.wait_started()
    first.kill()                                  # the wrapper only, not cspr
    first.wait(10)
    assert setup.run().returncode == 75           # cspr still holds the lock
    os.killpg(first.pid, signal.SIGKILL)          # now cspr (and its children) too
    deadline = time.monotonic() + 10
    while setup.run().returncode == 75:
        assert time.monotonic() < deadline, "the lock was not released"
        time.sleep(0.1)


@needs_flock
def test_a_stopped_run_is_still_recorded(
        setup: Setup, procs: list[subprocess.Popen[str]]) -> None:
    run = setup.start(FAKE_SLEEP="30")
    procs.append(run)
    setup.wait_started()
    os.killpg(run.pid, signal.SIGTERM)            # as `systemctl stop` or the timeout does
    assert run.wait(20) == 128 + signal.SIGTERM
    [line] = setup.log_lines()
    assert (line["status"], line["exit"]) == ("failed", "143")
    assert json.loads(setup.last_run.read_text())["exit_code"] == 143


def test_without_flock_the_wrapper_refuses_clearly(setup: Setup) -> None:
    bin_dir = setup.tmp / "bin"
    bin_dir.mkdir()
    for tool in ("uname", "date", "mkdir", "dirname", "mv", "rm", "awk", "cat", "sleep"):
        path = shutil.which(tool)
        assert path, tool
        (bin_dir / tool).symlink_to(path)
    result = setup.run(PATH=str(bin_dir))
    assert result.returncode == 69
    assert "flock(1) not found" in result.stderr and "util-linux" in result.stderr
    assert setup.calls() == []
    [line] = setup.log_lines()
    assert line["status"] == "unavailable"


@needs_flock
def test_a_missing_cspr_command_exits_69(setup: Setup) -> None:
    result = setup.run(CSPR_BIN=str(setup.tmp / "no-such-cspr"))
    assert result.returncode == 69
    assert "CSPR_BIN" in result.stderr
    assert json.loads(setup.last_run.read_text())["status"] == "unavailable"


@pytest.mark.parametrize("case", ["missing-env-file", "no-home", "relative-home",
                                  "bad-line", "lower-case-name", "home-not-a-directory"])
def test_unusable_settings_exit_78(setup: Setup, case: str) -> None:
    extra: dict[str, str] = {}
    if case == "missing-env-file":
        extra["CSPR_ENV_FILE"] = str(setup.tmp / "missing")
    elif case == "no-home":
        setup.env_file.write_text("# nothing\n")
    elif case == "relative-home":
        extra["CSPR_HOME"] = "home"
    elif case == "bad-line":
        setup.env_file.write_text(setup.env_file.read_text() + "export X=1\n")
    elif case == "lower-case-name":
        setup.env_file.write_text(setup.env_file.read_text() + "rc=0\n")
    else:
        extra["CSPR_HOME"] = str(setup.env_file)
    result = setup.run(**extra)
    assert result.returncode == 78, result.stderr
    assert "status=config-error exit=78" in result.stderr
    assert setup.calls() == []


@needs_flock
def test_env_example_is_accepted_by_the_wrapper(setup: Setup) -> None:
    names = _env_names(CRON / "env.example")
    assert {"CSPR_HOME", "CSPR_BIN"} <= names
    text = (CRON / "env.example").read_text()
    for commented in ("CSPR_DATABASE_URL", "CSPR_SMTP_URL"):
        assert re.search(rf"^#\s*{commented}=", text, re.M), commented
    result = setup.run(CSPR_ENV_FILE=str(CRON / "env.example"), CSPR_HOME=str(setup.home),
                       CSPR_BIN=str(setup.fake_dir / "cspr"))
    assert result.returncode == 0, result.stderr


def _env_names(path: Path) -> set[str]:
    names = set()
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, _ = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), raw
        names.add(name)
    return names


# --- crontab -----------------------------------------------------------------------------

_FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
           ("day of week", 0, 7)]


def _cron_values(field: str, low: int, high: int) -> set[int]:
    """The values one crontab time field stands for (numbers, *, ranges, lists, steps)."""
    values: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        assert step >= 1, field
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (int(x) for x in base.split("-"))
        else:
            first = last = int(base)
        assert low <= first <= last <= high, f"{field} out of {low}-{high}"
        values.update(range(first, last + 1, step))
    return values


def _crontab() -> tuple[dict[str, str], list[tuple[list[set[int]], list[str], str]]]:
    env: dict[str, str] = {}
    jobs = []
    for raw in (CRON / "crontab").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line):
            assert not jobs, f"set {line} before the jobs"
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
            continue
        parts = line.split(None, 5)
        assert len(parts) == 6, f"5 time fields and a command: {raw}"
        assert not any(p.startswith("@") for p in parts[:5])
        values = [_cron_values(f, lo, hi) for f, (_, lo, hi) in zip(parts[:5], _FIELDS)]
        jobs.append((values, parts[:5], parts[5]))
    return env, jobs


def test_crontab_runs_the_wrapper_at_0130_london_time() -> None:
    env, jobs = _crontab()
    assert env["CRON_TZ"] == "Europe/London"
    assert jobs and jobs[0][1] == ["30", "1", "*", "*", "*"]
    for _, _, command in jobs:
        assert command.split()[0] == INSTALLED_WRAPPER
        assert "%" not in command                 # cron would turn it into a newline


def _cron_runs_at(values: list[set[int]], fields: list[str], when: dt.datetime) -> bool:
    """cron's matching, including its rule that a restricted day of month and a
    restricted day of week are ORed."""
    minute, hour, dom, month, dow = values
    cron_dow = {(when.weekday() + 1) % 7, 7 if when.weekday() == 6 else -1}
    if fields[2].startswith("*") or fields[4].startswith("*"):
        day = when.day in dom and bool(cron_dow & dow)
    else:
        day = when.day in dom or bool(cron_dow & dow)
    return when.minute in minute and when.hour in hour and when.month in month and day


def test_crontab_covers_the_night_without_0130() -> None:
    """The last Sunday of March has no 01:30 in London: another line must run that day."""
    _, jobs = _crontab()
    for year in range(2025, 2041):
        sunday = max(dt.date(year, 3, d) for d in range(25, 32)
                     if dt.date(year, 3, d).weekday() == 6)
        wall = dt.datetime.combine(sunday, dt.time(1, 30), tzinfo=LONDON)
        assert wall.astimezone(dt.timezone.utc).astimezone(LONDON).hour != 1, \
            "01:30 should not exist that day"
        times = [dt.datetime.combine(sunday, dt.time(h, m)) for h in range(2, 6)
                 for m in range(60)]
        assert any(_cron_runs_at(values, fields, t)
                   for values, fields, _ in jobs for t in times), f"no run on {sunday}"
        # and on an ordinary night, exactly one run
        ordinary = dt.date(year, 6, 10)
        night = [dt.datetime.combine(ordinary, dt.time(h, m)) for h in range(24)
                 for m in range(60)]
        assert sum(_cron_runs_at(v, f, t) for v, f, _ in jobs for t in night) == 1


# --- systemd units -----------------------------------------------------------------------

def _unit(name: str) -> tuple[configparser.ConfigParser, dict[str, dict[str, list[str]]]]:
    """configparser (strict=False) for the file's shape, and every value of each key
    (systemd keys like OnCalendar= may repeat, and configparser keeps only the last)."""
    text = (CRON / name).read_text()
    parser = configparser.ConfigParser(strict=False, interpolation=None,
                                       comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    values: dict[str, dict[str, list[str]]] = {}
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = values.setdefault(line.strip("[]"), {})
            continue
        key, sep, value = line.partition("=")
        assert sep and section is not None, raw
        section.setdefault(key.strip(), []).append(value.strip())
    return parser, values


def test_service_unit() -> None:
    parser, values = _unit("cspr-nightly.service")
    assert set(parser.sections()) == {"Unit", "Service"}
    s = parser["Service"]
    assert s["Type"] == "oneshot"
    assert s["User"] == "cspr"
    assert s["EnvironmentFile"].lstrip("-") == "/etc/cspr-ledger/env"
    assert s["ExecStart"].split()[0] == INSTALLED_WRAPPER
    assert s["NoNewPrivileges"] == "yes"
    assert s["PrivateTmp"] == "yes"
    assert s["ProtectSystem"] == "strict"
    home = next(v.partition("=")[2] for v in
                (l.strip() for l in (CRON / "env.example").read_text().splitlines())
                if v.startswith("CSPR_HOME="))
    writable = " ".join(values["Service"]["ReadWritePaths"]).split()
    assert home in [w.lstrip("-") for w in writable]
    assert "Install" not in values                # started by the timer, never enabled


def test_timer_unit() -> None:
    parser, values = _unit("cspr-nightly.timer")
    t = values["Timer"]
    assert "*-*-* 01:30 Europe/London" in t["OnCalendar"]
    assert parser["Timer"]["Persistent"] == "true"
    assert parser["Timer"]["Unit"] == "cspr-nightly.service"
    delay = parser["Timer"]["RandomizedDelaySec"]
    m = re.fullmatch(r"(\d+)\s*(s|sec|min|m)?", delay)
    assert m, delay
    seconds = int(m[1]) * (60 if m[2] in ("min", "m") else 1)
    assert 0 < seconds <= 15 * 60, "a small random delay"
    assert parser["Install"]["WantedBy"] == "timers.target"


def _systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if not path:
        pytest.skip("systemd-analyze not installed")
    return path


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    service = (CRON / "cspr-nightly.service").read_text()
    # verify checks that ExecStart= exists: point it at this checkout's wrapper.
    service = service.replace(f"ExecStart={INSTALLED_WRAPPER}", f"ExecStart={WRAPPER}")
    (tmp_path / "cspr-nightly.service").write_text(service)
    shutil.copy(CRON / "cspr-nightly.timer", tmp_path)
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / "cspr-nightly.timer"),
         str(tmp_path / "cspr-nightly.service")],
        capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    ours = [line for line in output.splitlines()
            if str(tmp_path) in line or "cspr-nightly" in line]
    assert not ours, output
    if result.returncode != 0:
        pytest.skip(f"systemd-analyze verify cannot run here: {output.strip()}")


@pytest.mark.parametrize("base,expression,expected", [
    # a summer night (BST) and a winter night (GMT)
    ("2026-06-01 12:00 UTC", "*-*-* 01:30 Europe/London", "2026-06-02 00:30:00 UTC"),
    ("2026-12-01 12:00 UTC", "*-*-* 01:30 Europe/London", "2026-12-02 01:30:00 UTC"),
    # the night without 01:30 (29 March 2026) has its own run, at 02:30 BST
    ("2026-03-01 12:00 UTC", "Sun *-03-25..31 02:30 Europe/London",
     "2026-03-29 01:30:00 UTC"),
])
def test_timer_calendar_in_london_time(base: str, expression: str, expected: str) -> None:
    analyze = _systemd_analyze()
    _, values = _unit("cspr-nightly.timer")
    assert expression in values["Timer"]["OnCalendar"]
    result = subprocess.run([analyze, "calendar", f"--base-time={base}", expression],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TZ": "UTC", "LC_ALL": "C"})
    if result.returncode != 0 and "base-time" in result.stderr:
        pytest.skip("this systemd-analyze has no --base-time")
    assert result.returncode == 0, result.stderr
    assert re.search(rf"Next elapse: \w+ {expected}", result.stdout), result.stdout


# --- docs --------------------------------------------------------------------------------

def test_docs_say_how_to_install_and_check() -> None:
    text = (REPO / "docs" / "cron.md").read_text()
    for needle in ("systemctl enable --now cspr-nightly.timer", "crontab -u cspr",
                   "systemctl list-timers", "journalctl -u cspr-nightly",
                   "logs/last-run.json", "logs/nightly.log", "| 75 |", "| 0 |", "| 1 |",
                   "| 2 |"):
        assert needle in text, needle
