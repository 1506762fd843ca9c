"""Running external commands and tracking long-lived processes by PID.

The machine has no systemd, so the runtime supervises its own daemons
(systemd-nspawn, apt-cacher-ng). A bare PID is not enough after a crash or a
reboot: PIDs are reused. Each tracked process is therefore recorded together
with its kernel start time, and is only signalled when both still match.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import CommandError

#: Seconds before a second SIGTERM. systemd-nspawn turns the first into a clean
#: poweroff of its container and the second into immediate termination; a booted
#: host powers off in about a second, but one still early in boot ignores the
#: poweroff request (its systemd has no handler yet) and would otherwise run
#: until the SIGKILL timeout.
TERM_RESEND = 5.0


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    input_text: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = 120,
) -> subprocess.CompletedProcess[str]:
    """Run a short command, capturing its output for the error message.

    ``check=False`` is for the idempotent teardown paths, where "already gone" is
    success and must not abort the removal of everything else.
    """
    argv = [str(a) for a in argv]
    proc = subprocess.run(
        argv,
        input=input_text,
        capture_output=True,
        text=True,
        env=None if env is None else {**os.environ, **env},
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stdout + proc.stderr)
    return proc


def stream(
    argv: Sequence[str],
    on_line: Callable[[str], None],
    *,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run a long command (debootstrap, apt-get), handing each output line to ``on_line``.

    The last lines are kept for the exception so a failed build says why.
    """
    argv = [str(a) for a in argv]
    tail: list[str] = []
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=None if env is None else {**os.environ, **env},
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            tail = [*tail[-40:], line]
            on_line(line)
        rc = proc.wait()
    if rc != 0:
        raise CommandError(argv, rc, "\n".join(tail))


@dataclass(frozen=True)
class ProcessRef:
    """A process as recorded in the state file: PID plus its start time in clock ticks."""

    pid: int
    starttime: int


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    return [raw[: raw.index(" ")], "comm", *raw[raw.rindex(")") + 2 :].split()]


def process_ref(pid: int) -> ProcessRef | None:
    """Identify a running process, or None if it does not exist."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return ProcessRef(pid=pid, starttime=int(fields[21]))


def cmdline(pid: int) -> list[str]:
    """argv of a process ([] if it is gone or a kernel thread)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def is_alive(ref: ProcessRef) -> bool:
    """True if the recorded process (same PID and start time) still runs; zombies are dead."""
    _reap(ref.pid)
    fields = _stat_fields(ref.pid)
    if fields is None:
        return False
    return fields[2] != "Z" and int(fields[21]) == ref.starttime


def iter_processes() -> Iterator[tuple[int, list[str]]]:
    """All processes with their argv; the fallback scan ``down`` uses when state is lost."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            argv = cmdline(int(entry.name))
            if argv:
                yield int(entry.name), argv


def stop_processes(refs: Sequence[ProcessRef], timeout: float = 20.0) -> None:
    """SIGTERM all, wait up to ``timeout`` seconds, then SIGKILL what is left.

    All are signalled first and waited for together, so stopping N containers
    takes one shutdown time, not N. SIGTERM makes systemd-nspawn power its
    container off cleanly.
    """
    live = [r for r in refs if is_alive(r)]
    for ref in live:
        _signal(ref.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    resend = time.monotonic() + TERM_RESEND
    while live and time.monotonic() < deadline:
        time.sleep(0.1)
        live = [r for r in live if is_alive(r)]
        if time.monotonic() > resend:
            for ref in live:
                _signal(ref.pid, signal.SIGTERM)
            resend = time.monotonic() + TERM_RESEND
    for ref in live:
        _signal(ref.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while live and time.monotonic() < deadline:
        time.sleep(0.05)
        live = [r for r in live if is_alive(r)]
    # Processes started by an earlier CLI call are PID 1's children now; it reaps
    # them about a second later. Wait for that, so that no `<defunct>` entry
    # remains for a `pgrep` right after `down`.
    deadline = time.monotonic() + 3
    zombies = [r for r in refs if _exists(r)]
    while zombies and time.monotonic() < deadline:
        time.sleep(0.05)
        zombies = [r for r in zombies if _exists(r)]


def kill_processes(refs: Sequence[ProcessRef]) -> None:
    """SIGKILL at once (for container inits orphaned by a killed nspawn: systemd as
    PID 1 ignores SIGTERM, and killing a PID-namespace init ends all its processes)."""
    stop_processes(refs, timeout=0)


def _exists(ref: ProcessRef) -> bool:
    """True while the recorded process has a /proc entry, zombie or not."""
    _reap(ref.pid)
    current = process_ref(ref.pid)
    return current is not None and current.starttime == ref.starttime


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def spawn_daemon(
    argv: Sequence[str],
    log_file: Path,
    *,
    env: Mapping[str, str] | None = None,
) -> ProcessRef:
    """Start a long-running process in its own session with output to ``log_file``.

    Its own session keeps it alive when the CLI that started it exits (or gets
    Ctrl-C); the caller records the returned ref in the state file at once.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        popen = subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=None if env is None else {**os.environ, **env},
        )
    # Popen would otherwise warn "subprocess still running" when garbage-collected;
    # the process is tracked by PID from here on.
    popen.returncode = 0
    ref = process_ref(popen.pid)
    if ref is None:  # exited within microseconds; record something that is_alive() rejects
        return ProcessRef(pid=popen.pid, starttime=-1)
    return ref
