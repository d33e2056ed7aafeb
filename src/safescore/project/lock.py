"""Crash and concurrency safety for ``safescore run``: the project lock and the folder swap.

One ``run`` per project at a time: a lock file that survives crashes sensibly.

The lock file is created with ``O_CREAT | O_EXCL`` (atomic on local file systems and NFSv3+)
and holds the owner's pid, host and start time, so a person who finds it knows whose it is.
The owner also holds ``flock`` on it: the kernel drops that lock when the process dies, even
by ``kill -9``, so a leftover file whose flock is free and whose pid is gone is provably stale.
On another host neither the pid nor (on some NFS set-ups) flock can be checked, so a foreign
lock is only taken over when it is older than ``stale_hours``.

Outputs are replaced as a whole folder (:func:`swap_in`), and whatever a killed run left
beside the output folder is undone by the next one (:func:`repair_leftovers`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import glob
import json
import logging
import os
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

log = logging.getLogger("safescore.project.lock")

# A lock file younger than this with no readable content is being written by its creator
# right now (between O_EXCL and the first write), not abandoned.
FRESH_SECONDS = 10.0
# Test hook: pause (seconds) between the two renames of the swap, so a fault test can kill there.
SLOW_SWAP_ENV = "SAFESCORE_TEST_SLOW_SWAP"


class LockBusy(Exception):
    """Another live run holds the project lock."""

    def __init__(self, message: str, holder: LockInfo | None):
        super().__init__(message)
        self.message = message
        self.holder = holder


@dataclass(frozen=True)
class LockInfo:
    pid: int
    host: str
    started: str  # ISO 8601, local time with offset, for people reading the file

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "started": self.started}, ensure_ascii=False)

    @classmethod
    def parse(cls, text: str) -> LockInfo | None:
        try:
            d = json.loads(text)
            return cls(int(d["pid"]), str(d["host"]), str(d["started"]))
        except (ValueError, KeyError, TypeError):
            return None

    def started_at(self) -> dt.datetime | None:
        try:
            return dt.datetime.fromisoformat(self.started)
        except ValueError:
            return None


def pid_alive(pid: int) -> bool:
    """True unless ``pid`` certainly does not exist (EPERM means it exists, owned by someone else)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _busy_message(info: LockInfo | None, path: Path) -> str:
    if info is None:
        return f"另一个 safescore run 正在运行（锁文件 {path} 刚刚创建），本次未运行；请稍后再试。"
    when = info.started_at()
    shown = when.strftime("%Y-%m-%d %H:%M:%S") if when else info.started
    return (
        f"另一个 safescore run 正在运行（进程 {info.pid}，主机 {info.host}，开始于 {shown}），"
        f"本次未运行；请待其结束后再试。如确认该进程已不存在，可删除锁文件 {path}。"
    )


class ProjectLock:
    """Context manager holding the project lock; see the module docstring.

    :param path: the lock file, e.g. ``<project>/.safescore/run.lock``.
    :param wait: seconds to wait for a busy lock (polling) before raising :class:`LockBusy`.
    :param stale_hours: a lock from another host older than this is taken over.

    >>> with ProjectLock(Path("/srv/anquan/.safescore/run.lock"), wait=60):  # doctest: +SKIP
    ...     ...
    """

    def __init__(self, path: Path, *, wait: float = 0.0, stale_hours: float = 12.0, poll: float = 0.2):
        self.path = Path(path)
        self.wait = wait
        self.stale_hours = stale_hours
        self.poll = poll
        self.info: LockInfo | None = None
        self._fd: int | None = None

    # --- acquiring ----------------------------------------------------------------------------

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + max(self.wait, 0.0)
        waited = False
        while True:
            if self._try_create():
                if waited:
                    log.info("等待后取得运行锁 %s", self.path)
                return
            holder = self._holder_if_live()
            if holder is None:
                continue  # a stale lock was removed: try again at once
            if time.monotonic() >= deadline:
                raise LockBusy(_busy_message(holder if holder.pid else None, self.path), holder)
            if not waited:
                log.info("运行锁被进程 %s 持有，最多等待 %.0f 秒", holder.pid, self.wait)
                waited = True
            time.sleep(self.poll)

    def _try_create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            info = LockInfo(
                os.getpid(),
                socket.gethostname(),
                dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            )
            os.write(fd, info.to_json().encode("utf-8"))
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            raise
        self._fd, self.info = fd, info
        return True

    def _holder_if_live(self) -> LockInfo | None:
        """The live holder of the existing lock file, or None after removing a stale one.

        A holder whose content is not readable yet is reported as ``LockInfo(0, ...)``.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY)  # flock needs no write access
        except FileNotFoundError:
            return None  # released between our O_EXCL and here
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                # someone alive holds it; show who, if the content is there yet
                return self._read(fd) or LockInfo(0, "?", "")
            info = self._read(fd)
            reason = self._stale_reason(info, fd)
            if reason is None:
                return info or LockInfo(0, "?", "")
            # Only unlink the file we inspected: another process may have replaced it meanwhile.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.unlink(self.path)
                log.warning("发现失效的运行锁 %s（%s），已清除", self.path, reason)
            return None
        finally:
            os.close(fd)

    def _stale_reason(self, info: LockInfo | None, fd: int) -> str | None:
        age = time.time() - os.fstat(fd).st_mtime
        if info is None:
            return None if age < FRESH_SECONDS else f"内容无法识别，已存在 {age:.0f} 秒"
        # Called only when flock was free, i.e. no live process holds this file.
        if info.host == socket.gethostname():
            if not pid_alive(info.pid):
                return f"进程 {info.pid} 已不存在"
            if info.pid == os.getpid():
                # our own pid, yet not our flock: a previous life of this pid (containers reuse pid 1)
                return f"进程号 {info.pid} 已被重新使用"
            if age > self.stale_hours * 3600:
                return f"进程 {info.pid} 未持有锁且已超过 {self.stale_hours:g} 小时（进程号可能已被重新使用）"
            return None
        if age > self.stale_hours * 3600:
            return f"来自主机 {info.host} 的进程 {info.pid}，已超过 {self.stale_hours:g} 小时"
        return None

    @staticmethod
    def _read(fd: int) -> LockInfo | None:
        os.lseek(fd, 0, os.SEEK_SET)
        return LockInfo.parse(os.read(fd, 4096).decode("utf-8", "replace"))

    # --- releasing ----------------------------------------------------------------------------

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            # unlink while still holding flock, so nobody can inspect a half-released lock
            if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                os.unlink(self.path)
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


# --- whole-folder swap and crash repair ---------------------------------------------------------


def pause_for_tests(env: str) -> None:
    """Sleep ``$env`` seconds if set: lets fault tests kill a run at a known instant."""
    delay = float(os.environ.get(env) or 0)
    if delay > 0:
        log.info("测试钩子 %s：暂停 %.1f 秒", env, delay)
        time.sleep(delay)


def fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` so a power cut after the swap finds them whole."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(folder))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_in(tmp: Path, out: Path) -> None:
    """Replace folder ``out`` by ``tmp``: ``out`` → ``out.old-<pid>``, ``tmp`` → ``out``, drop old.

    POSIX cannot rename a folder over a non-empty one atomically, hence two renames; a death
    between them leaves ``out`` missing and ``.old-`` present, which :func:`repair_leftovers` undoes.
    """
    old = out.parent / f"{out.name}.old-{os.getpid()}"
    had_old = out.exists()
    if had_old:
        os.rename(out, old)
        log.info("旧输出已移到 %s", old)
    pause_for_tests(SLOW_SWAP_ENV)
    try:
        os.rename(tmp, out)
    except OSError:
        if had_old:
            os.rename(old, out)  # put the previous outputs back before reporting the failure
        raise
    _fsync_dir(out.parent)
    log.info("新输出已就位：%s", out)
    if had_old:
        shutil.rmtree(old, ignore_errors=True)


def repair_leftovers(out: Path) -> list[str]:
    """Undo what a killed run left beside ``out``; return notes of what was done.

    Called with the project lock held, so no live run owns these folders.
    """
    parent = out.parent
    if not parent.is_dir():
        return []
    pattern = glob.escape(out.name)
    olds = sorted(parent.glob(pattern + ".old-*"), key=lambda p: p.stat().st_mtime)
    tmps = list(parent.glob(pattern + ".tmp-*"))
    notes: list[str] = []
    if not out.exists() and olds:
        newest = olds.pop()
        os.rename(newest, out)
        notes.append(f"上次运行在替换输出时中断，已恢复原有输出 {out}")
    for leftover in [*olds, *tmps]:
        shutil.rmtree(leftover, ignore_errors=True)
        notes.append(f"已清除上次中断运行留下的 {leftover.name}")
    for n in notes:
        log.warning("%s", n)
    return notes
