"""Read untrusted documents in resource-capped child processes.

Each document is parsed in a process of its own. Before it reads a byte of the document the process caps
itself: CPU time (RLIMIT_CPU), address space (RLIMIT_AS), output file size and core dumps; the Tesseract
processes it starts inherit those caps. The caller adds a wall-clock timeout and kills the process group
when it expires. A hostile file (a decompression bomb, a parser-hanging PDF) therefore costs bounded time and
memory and surfaces as an :class:`~hundi.ocr.errors.OcrError`, never as a hang or a crash of the caller.

Starting a Python interpreter and importing pdfium, OpenCV and the GST rules costs about a second of CPU,
three times the whole budget for a text-layer PDF. So the workers are forked from a *zygote*: a fresh
interpreter (``python -m hundi.ocr.sandbox --serve``, started once per calling process, holding none of the
caller's memory) that has imported the pipeline and does nothing but fork. Per document:

1. the caller makes a socket pair and hands one end to the zygote (SCM_RIGHTS over a control socket);
2. the zygote forks a worker on that socket and answers with its pid;
3. the caller streams the document to the worker and reads back one JSON reply; when the worker exits, the
   zygote appends its exit status (so a worker killed by a limit is reported as such) and closes the socket.

``python -m hundi.ocr.sandbox`` without ``--serve`` is the same worker as a one-shot command: document bytes
on stdin, one JSON object on stdout (``{"ok": true, "result": {...}}`` or ``{"ok": false, "error": ...}``).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hundi.ocr import errors
from hundi.ocr.fields import ExtractionResult
from hundi.ocr.limits import DEFAULT_LIMITS, OcrLimits

# Errors a worker may report by name; anything else is a sandbox failure.
_ERRORS: dict[str, type[errors.OcrError]] = {
    cls.__name__: cls
    for cls in (
        errors.OcrError,
        errors.UnsupportedFile,
        errors.EmptyFile,
        errors.CorruptFile,
        errors.EncryptedFile,
        errors.ResourceLimitExceeded,
        errors.FileTooLarge,
        errors.TooManyPages,
        errors.ImageTooLarge,
        errors.SandboxTimeout,
        errors.SandboxFailed,
        errors.OcrUnavailable,
    )
}
_MAX_REPLY_BYTES = 4 * 1024 * 1024
_ZYGOTE_START_SECONDS = 60.0
_EXIT_OUT_OF_MEMORY = 86  # a worker's exit status when it ran out of address space before it could reply
# One thread per library: Tesseract's OpenMP is slower than one thread on small machines (TOOLCHAIN.md),
# and every extra thread reserves address space that RLIMIT_AS counts (glibc arenas, BLAS buffers).
_ENV = {"OMP_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}


# --- caller side ---------------------------------------------------------------------------------------


class _Zygote:
    """Handle on the zygote process; one per calling process, started on first use."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # The zygote must import this same hundi, even when the caller found it through sys.path alone.
        package_root = str(Path(__file__).resolve().parents[2])
        python_path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, **_ENV, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": python_path}
        # HUNDI_OCR_DEBUG=1 lets the parser processes' stderr (library warnings, tracebacks) through.
        stderr = None if os.environ.get("HUNDI_OCR_DEBUG") else subprocess.DEVNULL
        try:
            # The command is fixed: this interpreter running this module; nothing comes from the document.
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "hundi.ocr.sandbox", "--serve", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        except OSError as exc:
            raise errors.SandboxFailed(f"could not start the parser process: {exc}") from exc
        finally:
            theirs.close()
        self.owner = os.getpid()
        self.control = ours
        self.lock = threading.Lock()
        self.control.settimeout(_ZYGOTE_START_SECONDS)
        try:
            ready = self.control.recv(64)
        except OSError:
            ready = b""
        if not ready.startswith(b"ready"):
            self.close()
            raise errors.SandboxFailed("the parser process did not start (is the hundi package importable?)")
        self.control.settimeout(10.0)

    def spawn(self, limits: OcrLimits) -> tuple[int, socket.socket]:
        """Fork a worker; returns its pid and the caller's end of its socket."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        header = json.dumps(
            {
                "cpu_seconds": limits.cpu_seconds,
                "memory_mb": limits.memory_mb,
                "max_pages": limits.max_pages,
                "max_pixels": limits.max_pixels,
                "max_bytes": limits.max_bytes,
                "max_chars_per_page": limits.max_chars_per_page,
                "wall_seconds": limits.wall_seconds,
            }
        ).encode()
        try:
            with self.lock:
                socket.send_fds(self.control, [header], [theirs.fileno()])
                answer = self.control.recv(64)
        except OSError as exc:
            ours.close()
            raise errors.SandboxFailed(f"the parser process is gone: {exc}") from exc
        finally:
            theirs.close()
        if not answer.startswith(b"pid "):
            ours.close()
            raise errors.SandboxFailed("the parser process did not start a worker")
        return int(answer[4:]), ours

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def close(self) -> None:
        self.control.close()
        if self.owner == os.getpid():
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_zygote: _Zygote | None = None
_zygote_lock = threading.Lock()


def _get_zygote() -> _Zygote:
    global _zygote
    with _zygote_lock:
        if _zygote is None or not _zygote.alive():
            if _zygote is not None:
                _zygote.close()  # a dead zygote (or, after a fork, our copy of the parent's socket)
            # A caller that forked inherits its parent's zygote socket; it must not share it.
            _zygote = _Zygote()
        return _zygote


@atexit.register
def _close_zygote() -> None:
    if _zygote is not None and _zygote.owner == os.getpid():
        _zygote.close()


def run_sandboxed(data: bytes, limits: OcrLimits = DEFAULT_LIMITS) -> ExtractionResult:
    """Read ``data`` in a capped child process.

    Raises:
        OcrError: a subclass saying why the document could not be read.
    """
    from hundi.ocr.raster import check_size

    check_size(data, limits)  # empty, unknown or oversized files are refused without forking
    deadline = time.monotonic() + limits.wall_seconds
    pid, sock = _get_zygote().spawn(limits)
    received = bytearray()
    try:
        try:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                sock.sendall(len(data).to_bytes(8, "big") + data)
                sock.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the worker died before reading everything; its exit status still follows
            while len(received) <= _MAX_REPLY_BYTES:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except TimeoutError:
            # The worker is still running (so its pid cannot have been reused): stop it and its Tesseracts.
            _kill_group(pid)
            raise errors.SandboxTimeout(
                f"reading the document took longer than {limits.wall_seconds:g} s; the parser was stopped", "wall"
            ) from None
        except OSError:
            pass  # the connection broke; what arrived (if anything) is decoded below
    finally:
        sock.close()
    return _decode_reply(bytes(received))


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _decode_reply(received: bytes) -> ExtractionResult:
    reply: dict[str, Any] = {}
    exit_code: int | None = None
    for line in received.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and "reply" in message:
            reply = message["reply"]
        elif isinstance(message, dict) and "exit" in message:
            exit_code = int(message["exit"])
    if reply.get("ok") is True:
        return ExtractionResult.model_validate(reply["result"])
    if reply.get("ok") is False:
        cls = _ERRORS.get(str(reply.get("error")), errors.SandboxFailed)
        message_text = str(reply.get("message", "the document could not be read"))
        if issubclass(cls, errors.ResourceLimitExceeded):
            raise cls(message_text, str(reply.get("limit", "")))
        raise cls(message_text)
    if exit_code == _EXIT_OUT_OF_MEMORY:
        raise errors.ResourceLimitExceeded("reading the document needed more memory than the limit allows", "memory")
    if exit_code is not None and exit_code < 0:
        sig = -exit_code
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            raise errors.ResourceLimitExceeded("the parser exceeded its CPU-time or memory limit and was killed", "cpu")
        raise errors.SandboxFailed(f"the parser crashed with signal {signal.Signals(sig).name}")
    raise errors.SandboxFailed(f"the parser stopped without an answer (exit status {exit_code})")


# --- worker side ---------------------------------------------------------------------------------------


def _apply_limits(cpu_seconds: int, memory_mb: int) -> None:
    import resource

    # The soft CPU limit raises SIGXCPU; the hard limit one second later is the SIGKILL backstop.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Tesseract's page image and its output are the only files written.
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024 * 1024, 256 * 1024 * 1024))


def _error_reply(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, errors.OcrError):
        reply: dict[str, Any] = {"ok": False, "error": type(exc).__name__, "message": str(exc)}
        if isinstance(exc, errors.ResourceLimitExceeded):
            reply["limit"] = exc.limit
        return reply
    text = str(exc).lower()
    if isinstance(exc, MemoryError) or "insufficient memory" in text or "out of memory" in text:
        return {
            "ok": False,
            "error": "ResourceLimitExceeded",
            "limit": "memory",
            "message": "reading the document needed more memory than the limit allows",
        }
    # Not a failure the readers anticipated: say so rather than blame the document.
    return {"ok": False, "error": "SandboxFailed", "message": f"reading failed: {type(exc).__name__}: {exc}"}


def _read(data: bytes, limits: OcrLimits) -> dict[str, Any]:
    try:
        from hundi.ocr.pipeline import read_document

        result = read_document(data, limits)
        return {"ok": True, "result": result.model_dump(mode="json")}
    except Exception as exc:  # every failure becomes a typed reply; the caller maps it back
        return _error_reply(exc)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(min(1 << 20, size - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def _worker(sock: socket.socket, limits: OcrLimits) -> None:
    """Body of a forked worker: cap resources, read the document from ``sock``, send the reply."""
    os.setsid()  # a process group of its own, so the caller can stop it together with its Tesseracts
    _apply_limits(limits.cpu_seconds, limits.memory_mb)
    size = int.from_bytes(_recv_exact(sock, 8), "big")
    if size > limits.max_bytes:
        reply = _error_reply(errors.FileTooLarge(f"file is {size} bytes; the limit is {limits.max_bytes}", "bytes"))
    else:
        reply = _read(_recv_exact(sock, size), limits)
    sock.sendall(json.dumps({"reply": reply}).encode() + b"\n")


def _serve(control_fd: int) -> None:
    """Zygote loop: preload the pipeline, then fork one worker per request until the caller goes away."""
    import cv2

    import hundi.ocr.pipeline  # noqa: F401  (preloaded so that every forked worker starts warm)

    cv2.setNumThreads(1)  # no OpenCV worker threads: one core per document, and fork-safe
    control = socket.socket(fileno=control_fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)  # SIGCHLD wakes select() so exit statuses are passed on at once
    workers: dict[int, socket.socket] = {}
    control.send(b"ready")
    while True:
        readable, _, _ = select.select([control.fileno(), wake_r], [], [])
        if wake_r in readable:
            os.read(wake_r, 512)
        _reap(workers)
        if control.fileno() not in readable:
            continue
        try:
            header, fds, _, _ = socket.recv_fds(control, 4096, 1)
        except OSError:
            header, fds = b"", []
        if not header or not fds:
            break  # the caller closed the control socket: it is gone or done
        worker_sock = socket.socket(fileno=fds[0])
        pid = os.fork()
        if pid == 0:  # worker
            code = 0
            try:
                # Hold no other worker's socket: its caller waits for EOF, which our copy would delay.
                for other in workers.values():
                    other.close()
                control.close()
                os.close(wake_r)
                os.close(wake_w)
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker(worker_sock, OcrLimits(**json.loads(header)))
            except MemoryError:  # so tight that not even the error reply could be built
                code = _EXIT_OUT_OF_MEMORY
            except BaseException:  # a worker must never fall back into the zygote loop
                code = 1
            finally:
                os._exit(code)
        workers[pid] = worker_sock
        control.send(f"pid {pid}".encode())
    for pid in list(workers):
        _kill_group(pid)


def _reap(workers: dict[int, socket.socket]) -> None:
    """Collect exited workers and append each one's exit status to its socket."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if os.WIFSIGNALED(status):
            # A worker killed by a limit may leave a Tesseract running in its process group.
            _kill_group(pid)
        sock = workers.pop(pid, None)
        if sock is None:
            continue
        with contextlib.suppress(OSError):  # the caller may have given up on it already
            sock.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        sock.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``--serve FD`` runs the zygote; otherwise read one document from stdin."""
    parser = argparse.ArgumentParser(prog="python -m hundi.ocr.sandbox")
    parser.add_argument("--serve", type=int, metavar="FD", help="run the zygote on this control socket")
    parser.add_argument("--cpu-seconds", type=int, default=DEFAULT_LIMITS.cpu_seconds)
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_LIMITS.memory_mb)
    parser.add_argument("--max-pages", type=int, default=DEFAULT_LIMITS.max_pages)
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_LIMITS.max_pixels)
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_LIMITS.max_bytes)
    args = parser.parse_args(argv)
    if args.serve is not None:
        _serve(args.serve)
        return 0
    limits = OcrLimits(
        max_bytes=args.max_bytes,
        max_pages=args.max_pages,
        max_pixels=args.max_pixels,
        cpu_seconds=args.cpu_seconds,
        memory_mb=args.memory_mb,
    )
    _apply_limits(limits.cpu_seconds, limits.memory_mb)
    os.environ.update(_ENV)
    # Keep the reply channel clean: anything a library prints goes to stderr.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    reply = _read(sys.stdin.buffer.read(limits.max_bytes + 1), limits)
    with os.fdopen(reply_fd, "w", encoding="utf-8") as out:
        json.dump(reply, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
