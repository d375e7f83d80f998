"""The test harness that runs inside the child process (``python -I -S child.py COMMAND_FD RESULT_FD``).

Stdlib only: it is started as a script, not imported, and imports as little as it can (startup is most of a
short run's cost). Its two parts lie beside it (and are bound beside it in the OS sandbox): ``child_values.py``,
how a value is sent back, and ``child_guard.py``, the limits and the audit hook set before learner code runs.
Nothing here is trusted: the learner's code runs in this process and can read or change anything in it. So the
harness holds no verdicts. It reads the program and then one test at a time from the command pipe (``marshal``
frames from the parent: a call to evaluate, never its expected value), and writes back what happened as JSON
lines: the value a call returned, as plain data of exact built-in types (``child_values.encode_value``), or the
exception it raised. The parent decodes the value and compares it with the expected one; a forged line can only
claim a value, which is what hard-coding an answer does. The real walls are outside (``sandbox.py``: an OS
sandbox, limits, the process-tree kill); the resource limits and the audit hook set here only turn the common
mistakes (a fork loop, a socket, a write outside the folder) into a clear message.
"""

from __future__ import annotations

import io
import marshal
import os
import sys

try:  # the C module behind signal: importing the Python wrapper (enum) costs more than a test run
    import _signal as signal
except ImportError:  # pragma: no cover - every CPython has it
    import signal

TYPE_CHECKING = False  # typing is not imported at run time: this child starts for every test run
if TYPE_CHECKING or __package__:  # imported: the frozen app's ``--tutor-child`` and the tests
    from tutor.runner import child_guard, child_values
else:  # a script under ``-I``: its folder is not on sys.path; it is, while the two parts beside it load
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import child_guard
    import child_values

    del sys.path[0]

if TYPE_CHECKING:
    from types import FrameType, TracebackType
    from typing import Any

# the blocklists as before, the same objects: tests/runner/test_hostile.py switches the in-process guard off
# through ``__main__`` to show that the walls outside still hold
BLOCKED_EVENTS, BLOCKED_MODULES, WRITE_EVENTS = (
    child_guard.BLOCKED_EVENTS,
    child_guard.BLOCKED_MODULES,
    child_guard.WRITE_EVENTS,
)
LEARNER_FILE = "solution.py"
OUTPUT_LIMIT = 2000  # characters of a test's printed output sent back with its result


class TestTimeout(BaseException):
    """Raised by the per-test alarm; a BaseException so ``except Exception`` in learner code cannot swallow it."""


def learner_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == LEARNER_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe(exc: BaseException) -> tuple[str, str]:
    name = type(exc).__name__
    if isinstance(exc, SystemExit):
        return (
            "SystemExit",
            f"The program called sys.exit({exc.code!r}); a function should return a value instead.",
        )
    if isinstance(exc, InputUsedUp):
        return "EOFError", "The program waited for input, but the test gave no more."
    if isinstance(exc, EOFError):
        return name, "The program tried to read input, but tests give no input: use the function's arguments."
    if isinstance(exc, RecursionError):
        return name, "Too many nested calls (RecursionError): check that the recursion reaches a base case."
    if isinstance(exc, MemoryError):
        return name, "The program used more memory than exercises may use (MemoryError)."
    text = str(exc)
    if len(text) > child_values.VALUE_LIMIT:
        text = text[: child_values.VALUE_LIMIT - 3] + "..."
    return name, f"{name}: {text}" if text else name


class InputUsedUp(EOFError):
    """A program test's ``input()`` after the test's input was used up."""


class Capture:
    """``sys.stdout`` during a test: keeps the first ``cap`` characters (``cut`` says more came) and passes
    everything on to ``tee`` (the real stdout) when given."""

    encoding, errors = "utf-8", "strict"

    def __init__(self, cap: int, tee: Any) -> None:
        self.parts: list[str] = []
        self.size, self.cap, self.cut, self.tee = 0, cap, False, tee
        self.buffer = CaptureBytes(self)

    def write(self, text: str) -> int:
        if type(text) is not str:
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self.cap - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(room, len(text))
        self.cut = self.cut or len(text) > room
        if self.tee is not None:
            self.tee.write(text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.tee is not None:
            self.tee.flush()

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def text(self) -> str:
        return "".join(self.parts)


class CaptureBytes:
    """``sys.stdout.buffer`` during a test: bytes written are kept as text (undecodable bytes replaced)."""

    def __init__(self, text: Capture) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        self.text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


def program_builtins(stream: io.StringIO, echo: bool = False) -> dict[str, Any]:
    """The builtins of a program test: ``input()`` reads the test's lines and writes no prompt; with ``echo``
    (Run program) it prints the prompt and the line read, as a terminal shows them."""

    def test_input(prompt: object = "") -> str:
        if echo:
            sys.stdout.write(str(prompt))
        line = stream.readline()
        if not line:
            raise InputUsedUp("EOF when reading a line")
        text = line[:-1] if line.endswith("\n") else line
        if echo:
            sys.stdout.write(text + "\n")
        return text

    def leave(code: object = None) -> None:  # exit() and quit(), which ``python -S`` does not define
        raise SystemExit(code)

    names = dict(vars(__builtins__)) if not isinstance(__builtins__, dict) else dict(__builtins__)
    names.update(input=test_input, exit=leave, quit=leave)
    return names


class Reporter:
    """Writes JSON-lines events to the result pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, value: str | None = None, **event: Any) -> None:
        fields = [f"{child_values.json_string(k)}: {child_values.encode(v)}" for k, v in event.items()]
        if value is not None:
            fields.append('"value": ' + value)
        self.write(("{" + ", ".join(fields) + "}\n").encode("utf-8", "surrogatepass"))

    def write(self, data: bytes) -> None:
        while data:
            written = os.write(self.fd, data)
            data = data[written:]


class Commands:
    """Reads the parent's length-prefixed ``marshal`` frames from the command pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def next(self) -> Any:
        header = self.read(4)
        if len(header) < 4:
            return None  # the parent closed the pipe: no more tests
        return marshal.loads(self.read(int.from_bytes(header, "big")))

    def read(self, size: int) -> bytes:
        chunks = []
        while size > 0:
            chunk = os.read(self.fd, min(size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)


def on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TestTimeout()


def run_test(
    index: int, test: dict[str, Any], namespace: dict[str, Any], job: dict[str, Any], reporter: Reporter
) -> None:
    """Run one test and report what happened: for an expression, the value it gave (the parent judges it); for a
    program, what it printed; for statements (a test written as code), whether they ran without raising. What
    the code printed during the test comes back as ``output``."""
    reporter.send(event="start", index=index)
    per_test_s = job["limits"]["per_test_s"]
    program = bool(test.get("program"))
    stream = io.StringIO(test.get("stdin") or "")
    real_in, real_out, real_err = sys.stdin, sys.stdout, sys.stderr
    capture = redirect(test, job, stream)
    result: dict[str, Any] = {"event": "result", "index": index, "status": "ran"}
    value = None
    signal.setitimer(signal.ITIMER_REAL, per_test_s)
    try:
        if program:
            value = run_whole(job, stream, capture, result, bool(test.get("echo")))
        elif test.get("expr") is not None:
            got = child_values.normalise(eval(compile(test["expr"], "<test>", "eval"), namespace))
            try:  # still under the alarm: a learner's __repr__ may loop
                value = child_values.encode_value(got)
            except (child_values.ValueTooBig, RecursionError, MemoryError, ValueError):
                result.update(
                    status="error", exception=None, message="The value returned is too large to compare."
                )
            else:
                result["status"] = "value"
        else:
            exec(compile(test["code"], "<test>", "exec"), namespace)
    except TestTimeout:
        result.update(status="timeout", message=f"Took longer than {per_test_s:g} s (an endless loop?).")
    except AssertionError as exc:
        failed_in_test = learner_line(exc.__traceback__) is None
        result.update(
            status="fail" if failed_in_test else "error",
            exception="AssertionError",
            message=f"Assertion failed: {exc}" if str(exc) else "Assertion failed.",
            line=learner_line(exc.__traceback__),
            classes=child_values.exception_classes(exc),
        )
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit included
        name, message = describe(exc)
        line = learner_line(exc.__traceback__)
        result.update(
            status="error",
            exception=name,
            message=message,
            line=line,
            classes=child_values.exception_classes(exc),
        )
        if isinstance(exc, InputUsedUp) and program:
            result["waiting"] = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdin, sys.stdout, sys.stderr = real_in, real_out, real_err
    result["output"] = capture.text()[:OUTPUT_LIMIT]
    reporter.send(value, **result)


def redirect(test: dict[str, Any], job: dict[str, Any], stream: io.StringIO) -> Capture:
    """The streams during one test: stdout captured (and passed on to the run's stdout, except in a program or a
    hidden test), stderr dropped in a hidden test (what it prints is shown nowhere), a program's stdin its input."""
    program, quiet = bool(test.get("program")), bool(test.get("quiet"))
    cap = job["limits"]["output_kb"] * 1024 if program else OUTPUT_LIMIT
    capture = Capture(cap, None if program or quiet else sys.stdout)
    sys.stdout = capture
    if quiet:
        sys.stderr = Capture(0, None)
    if program:
        sys.stdin = stream
    return capture


def run_whole(
    job: dict[str, Any], stream: io.StringIO, capture: Capture, result: dict[str, Any], echo: bool = False
) -> str:
    """A program test: the learner's file run fresh as ``__main__`` with the test's input; what it printed."""
    namespace = {
        "__name__": "__main__",
        "__file__": LEARNER_FILE,
        "__builtins__": program_builtins(stream, echo),
    }
    try:
        if job.get("prelude"):
            exec(compile(job["prelude"], "<prelude>", "exec"), namespace)
        exec(compile(job["source"], LEARNER_FILE, "exec"), namespace)
    except SystemExit:  # sys.exit() ends a program normally; what it printed is its output
        pass
    result.update(status="value", cut=capture.cut)
    return child_values.encode(capture.text())


def load_program(job: dict[str, Any], namespace: dict[str, Any], reporter: Reporter) -> bool:
    """Run the prelude and the learner's module; report and return False when that fails."""
    per_test_s = job["limits"]["per_test_s"]
    signal.setitimer(signal.ITIMER_REAL, per_test_s)
    try:
        if job.get("prelude"):
            exec(compile(job["prelude"], "<prelude>", "exec"), namespace)
        exec(compile(job["source"], LEARNER_FILE, "exec"), namespace)
    except TestTimeout:
        signal.setitimer(signal.ITIMER_REAL, 0)
        reporter.send(
            event="module_error",
            status="timeout",
            message=f"Running the file took longer than {per_test_s:g} s (an endless loop?).",
        )
        return False
    except BaseException as exc:  # noqa: BLE001
        signal.setitimer(signal.ITIMER_REAL, 0)
        name, message = describe(exc)
        reporter.send(
            event="module_error",
            status="error",
            exception=name,
            message=message,
            line=learner_line(exc.__traceback__),
        )
        return False
    signal.setitimer(signal.ITIMER_REAL, 0)
    entry = job.get("entry")
    if entry and not callable(namespace.get(entry)):
        reporter.send(
            event="module_error",
            status="error",
            exception="NameError",
            message=f"The file does not define a function named {entry}().",
        )
        return False
    return True


def main() -> None:
    commands, reporter = Commands(int(sys.argv[1])), Reporter(int(sys.argv[2]))
    job = commands.next()  # the program and limits; the tests come one at a time, without expected values
    workdir = os.getcwd()
    if job.get("drop_root"):
        child_guard.drop_root(workdir)
    child_guard.lower_priority(job["limits"].get("nice", 0))
    child_guard.set_limits(job["limits"])
    sys.setrecursionlimit(job["limits"].get("recursion", 3000))
    signal.signal(signal.SIGALRM, on_alarm)
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_MODULES:
            del sys.modules[name]
    child_guard.install_audit_hook(workdir)
    module = job.get(
        "module", "__main__"
    )  # "solution" when program tests run the file as __main__ themselves
    namespace = {"__name__": module, "__file__": LEARNER_FILE, "__builtins__": __builtins__}
    reporter.send(event="loading")
    if not job.get("load", True) or load_program(job, namespace, reporter):
        reporter.send(event="ready")
        while (test := commands.next()) is not None:
            run_test(test["index"], test, namespace, job, reporter)
    del job
    reporter.send(event="done")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (learner __del__ methods, atexit handlers)


if __name__ == "__main__":
    main()
