"""``kfleet-agent-launch``: the small supervisor that runs the agent's current release.

It runs ``releases/current``'s entry (or the installed agent while there is no ``current``)
and nothing else: one child at a time, so two versions never run at once (the data
directory's lock, ``edge_agent.instance_lock``, holds that even against a second launcher).
When the child exits after switching (``pending.json`` written, ``current`` swapped) the new
version starts at once, and the launcher watches it for the pending health window: the
verdict ``healthy`` (written by the new agent once its birth is out) settles the switch; a
crash, or no verdict by the window's end, makes the launcher claim ``rollback``, stop the new
version, swap ``current`` back and start the previous one, which reports ``rolled_back``.
An ordinary crash is restarted with a growing pause; an unusable configuration (exit 2) ends
the launcher, since starting again cannot help. SIGTERM/SIGINT are passed to the child.

The launcher itself is never upgraded by a rollout: it is the stable part (installed with the
package, run by systemd), and it imports as little as it can.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from edge_agent import __version__
from edge_agent.upgrade.layout import (
    ENV_LAUNCHER,
    ENV_VERSION,
    HEALTHY,
    ROLLBACK,
    Pending,
    Releases,
)
from protocols.upgrade import RELEASE_MANIFEST, ReleaseManifest

log = logging.getLogger("kfleet.launch")

POLL_S = 0.2  # how often the verdict and the child are looked at
STOP_GRACE_S = 15.0  # SIGTERM, then SIGKILL after this long
RESTART_MIN_S, RESTART_MAX_S = 1.0, 30.0  # pause before restarting a crashed agent (doubling)
STABLE_S = 60.0  # a child that ran this long resets the pause
EXIT_CONFIG = 2  # the agent's "configuration unusable" exit code


#: prctl(2) option: the signal a process gets when the thread that started it ends
PR_SET_PDEATHSIG = 1


def _die_with_launcher() -> Callable[[], None] | None:
    """On Linux, what the agent's process runs before the agent: it gets SIGTERM when the
    launcher dies however it dies (SIGKILL, the OOM killer), so no agent runs on unsupervised
    — a launcher started again would find the data directory's lock taken and could only
    watch its own agent fail. (systemd kills the whole unit anyway; a launcher run by hand,
    by another supervisor or in a test has no such help.)"""
    if sys.platform != "linux":
        return None
    launcher = os.getpid()
    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:  # in the forked child, before exec: async-signal-safe calls only
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != launcher:  # the launcher died before the line above
            os._exit(1)

    return arm


def data_dir_of(config: Path) -> Path:
    """``data_dir`` from the agent's TOML, resolved as ``edge_agent.config`` does."""
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    data_dir = Path(str(raw["data_dir"]))
    return data_dir if data_dir.is_absolute() else (config.parent / data_dir).resolve()


class Launcher:
    """Runs one agent process at a time from ``releases``, switching back when told to."""

    def __init__(self, config: Path, releases: Releases, extra: list[str] | None = None) -> None:
        self.config, self.releases, self.extra = config, releases, extra or []
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self._pause = RESTART_MIN_S

    def run(self) -> int:
        """Until SIGTERM/SIGINT (0) or an unusable configuration (2)."""
        while not self.stopping:
            code = self._run_once()
            if code == EXIT_CONFIG and not self.stopping:
                log.error("the agent's configuration is unusable: not restarting it")
                return EXIT_CONFIG
        return 0

    def stop(self, *_: object) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def _run_once(self) -> int | None:
        """Start the current version and watch it until it exits or is switched back."""
        watched = self._watched()
        before = self.releases.read_pending()
        started = time.monotonic()
        self.child = child = self._spawn()
        deadline = started + watched.health_window_s if watched else 0.0
        while True:
            code = child.poll()
            if self.stopping:  # a shutdown decides nothing: the next start watches again
                return child.wait()
            if watched is not None and self._settled(watched, code, deadline):
                watched = None
            if watched is not None and (code is not None or time.monotonic() > deadline):
                self._switch_back(watched, "crashed" if code is not None else "health_timeout")
                return None
            if code is not None:
                break
            time.sleep(POLL_S)  # a child process and a file: nothing to await
        after = self.releases.read_pending()
        if after is not None and after != before:
            return code  # the agent stopped itself to switch: start the next one at once
        self._pause = RESTART_MIN_S if time.monotonic() - started > STABLE_S else self._pause
        if code != EXIT_CONFIG:
            log.warning("the agent exited (%s): starting it again in %.0f s", code, self._pause)
            time.sleep(self._pause)  # a backoff pause, not synchronisation
            self._pause = min(RESTART_MAX_S, self._pause * 2)
        return code

    def _watched(self) -> Pending | None:
        """The switch to watch for this start, if ``current`` is its new version."""
        pending = self.releases.read_pending()
        if pending is None or pending.state != "switching":
            return None
        if self.releases.verdict() == HEALTHY:  # decided while no launcher watched
            self.releases.clear_pending()
            return None
        return pending

    def _settled(self, watched: Pending, code: int | None, deadline: float) -> bool:
        """True once the new version's ``healthy`` verdict is in (the switch is done)."""
        if self.releases.verdict() != HEALTHY:
            if code is None and time.monotonic() <= deadline:
                return False
            if self.releases.claim_verdict(ROLLBACK) != HEALTHY:
                return False
        log.info("version %s is healthy: the switch is done", watched.version)
        self.releases.clear_pending()
        return True

    def _switch_back(self, watched: Pending, reason: str) -> None:
        log.warning(
            "version %s did not come up healthy (%s): switching back to %s",
            watched.version,
            reason,
            watched.previous_version,
        )
        self._end_child()
        back = watched.model_copy(update={"state": "rolled_back", "reason": reason})
        self.releases.write_pending(back)
        self.releases.point_current(watched.previous_release)

    def _end_child(self) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _spawn(self) -> subprocess.Popen[bytes]:
        argv, version, cwd = self._command()
        env = {**os.environ, ENV_VERSION: version, ENV_LAUNCHER: str(os.getpid())}
        log.info("starting agent %s: %s", version, " ".join(argv))
        try:
            return subprocess.Popen(argv, env=env, cwd=cwd, preexec_fn=_die_with_launcher())
        except OSError as err:  # a release whose entry cannot run: a crash like any other
            log.error("cannot start agent %s: %s", version, err)
            return subprocess.Popen([sys.executable, "-c", "raise SystemExit(127)"])

    def _command(self) -> tuple[list[str], str, Path | None]:
        """(argv, version, working directory) of the current release."""
        tail = ["--config", str(self.config), *self.extra]
        release = self.releases.current_release()
        if not release:
            return [sys.executable, "-m", "edge_agent", "run", *tail], __version__, None
        home = self.releases.root / release
        try:
            manifest = ReleaseManifest.model_validate_json((home / RELEASE_MANIFEST).read_bytes())
        except (OSError, ValueError) as err:
            log.error("release %s has no usable manifest: %s", release, err)
            return [sys.executable, "-c", "raise SystemExit(127)"], release, home
        entry = [str(home / manifest.entry[0]), *manifest.entry[1:]]
        if entry[0].endswith(".py"):
            entry.insert(0, sys.executable)  # the device's interpreter and libraries
        return [*entry, *tail], manifest.version, home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kfleet-agent-launch",
        description="Run the kfleet agent's current release; switch back to the previous one "
        "if a new release does not come up healthy in its window.",
    )
    parser.add_argument("--config", "-c", type=Path, required=True, help="the agent's TOML")
    parser.add_argument("--log-level", default="info", help="passed on to the agent")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, args.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        data_dir = data_dir_of(args.config)
    except (OSError, KeyError, tomllib.TOMLDecodeError) as err:
        print(f"error: {args.config}: cannot read data_dir: {err}", file=sys.stderr)
        return EXIT_CONFIG
    launcher = Launcher(args.config, Releases.of(data_dir), ["--log-level", args.log_level])

    def on_signal(signum: int, frame: FrameType | None) -> None:
        launcher.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return launcher.run()


if __name__ == "__main__":
    raise SystemExit(main())
