"""The test harness that runs inside the child process (``python -I -S child.py JOB RESULT_FD``).

Stdlib only: it is started as a script, not imported, and imports as little as it can (startup is most of a
short run's cost: the job comes as ``marshal`` from the parent, events are written with ``_json``'s encoder and
expected values read with a small ``literal_eval`` over ``_ast`` nodes). It sets resource limits on itself, installs an audit hook
that refuses sockets, forks, subprocesses, native code loading and writes outside its temp folder, runs the
learner's module once, then each test with a per-test alarm, and writes one JSON line per event to the result
pipe. The parent enforces the total time limit and kills the process group, so nothing here must be trusted.
"""

from __future__ import annotations

import marshal
import os
import sys

try:  # the C modules behind signal and json: importing the Python wrappers (enum, re) costs more than a test run
    import _signal as signal
except ImportError:  # pragma: no cover - every CPython has it
    import signal
try:
    from _json import encode_basestring_ascii as _json_string
except ImportError:  # pragma: no cover
    from json import dumps as _json_string

import _ast  # the parser's node types: ``ast.literal_eval`` without importing ``ast`` (contextlib, enum, re)

TYPE_CHECKING = False  # typing is not imported at run time: this child starts for every test run
if TYPE_CHECKING:
    from types import FrameType, TracebackType
    from typing import Any

LEARNER_FILE = "solution.py"
VALUE_LIMIT = 300
MAX_TIMEOUTS = (
    2  # after two tests ran out of time, the rest would too: stop instead of making the learner wait
)
GENERATOR_LIMIT = 10_000

BLOCKED_EVENTS = {
    "os.fork": "starting new processes (fork)",
    "os.forkpty": "starting new processes (fork)",
    "os.system": "running shell commands",
    "os.exec": "running other programs",
    "os.posix_spawn": "starting new processes",
    "os.spawn": "starting new processes",
    "os.startfile": "starting other programs",
    "subprocess.Popen": "starting new processes (subprocess)",
    "socket.__new__": "opening network sockets",
    "socket.connect": "opening network connections",
    "socket.bind": "opening network sockets",
    "socket.getaddrinfo": "looking up network addresses",
    "socket.gethostbyname": "looking up network addresses",
    "ctypes.dlopen": "loading native libraries",
    "ctypes.dlsym": "loading native libraries",
    "ctypes.cdata": "reading raw memory",
    "os.kill": "sending signals to processes",
    "os.killpg": "sending signals to processes",
    "signal.pthread_kill": "sending signals to processes",
}
BLOCKED_MODULES = {
    "ctypes",
    "_ctypes",
    "_posixsubprocess",
    "_socket",
    "socket",
    "multiprocessing",
    "_multiprocessing",
}
WRITE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.link",
    "os.symlink",
    "os.truncate",
    "os.utime",
    "shutil.rmtree",
    "shutil.move",
}


class TestTimeout(BaseException):
    """Raised by the per-test alarm; a BaseException so ``except Exception`` in learner code cannot swallow it."""


def lower_priority(nice: int) -> None:
    """Background work yields the CPU: a higher niceness for this process and, where Linux groups a session's
    processes for scheduling (autogroup), for its session too (this child leads its own)."""
    if nice <= 0 or not hasattr(os, "nice"):
        return
    try:
        os.nice(nice)
        with open("/proc/self/autogroup", "w") as handle:
            handle.write(str(nice))
    except OSError:
        pass


def set_limits(limits: dict[str, Any]) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's time limits and process-tree kill still apply
        return
    mb = 1024 * 1024
    wanted = [
        (resource.RLIMIT_AS, limits["memory_mb"] * mb),
        (resource.RLIMIT_FSIZE, limits["file_size_mb"] * mb),
        (resource.RLIMIT_CPU, int(limits["total_s"]) + 2),
        (resource.RLIMIT_NPROC, limits["processes"]),
        (resource.RLIMIT_CORE, 0),
    ]
    for which, value in wanted:
        try:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):
            pass
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big file raises OSError instead of killing us


def install_audit_hook(workdir: str) -> None:
    workdir = os.path.realpath(workdir)

    def inside(path: Any) -> bool:
        try:
            target = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return target == workdir or target.startswith(workdir + os.sep)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in BLOCKED_EVENTS:
            raise PermissionError(f"Exercises may not use {BLOCKED_EVENTS[event]} ({event}).")
        if event == "import" and args and args[0] in BLOCKED_MODULES:
            raise ImportError(f"The module {args[0]!r} is not available in exercises.")
        if event == "open" and len(args) > 2 and isinstance(args[0], (str, bytes)):
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(flag in mode for flag in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing and not inside(args[0]):
                raise PermissionError("Exercises may only write files in their own folder.")
        if event in WRITE_EVENTS and args and isinstance(args[0], (str, bytes)) and not inside(args[0]):
            raise PermissionError("Exercises may only change files in their own folder.")

    sys.addaudithook(hook)


def short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a learner's broken __repr__
        text = f"<unprintable {type(value).__name__}: {exc}>"
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 3] + "..."


def normalise(value: Any) -> Any:
    if hasattr(value, "__next__") and hasattr(value, "__iter__") and not isinstance(value, (str, bytes)):
        items = []
        for item in value:
            items.append(item)
            if len(items) >= GENERATOR_LIMIT:
                break
        return items
    return value


_UNARY = (_ast.UAdd, _ast.USub)


def literal(node: Any) -> Any:
    """``ast.literal_eval`` on a parsed node: constants, tuples, lists, sets, dicts, ``set()``, signed numbers
    and complex literals; anything else is a ValueError."""
    if isinstance(node, _ast.Constant):
        return node.value
    if isinstance(node, _ast.Tuple):
        return tuple(literal(item) for item in node.elts)
    if isinstance(node, _ast.List):
        return [literal(item) for item in node.elts]
    if isinstance(node, _ast.Set):
        return {literal(item) for item in node.elts}
    if isinstance(node, _ast.Dict) and None not in node.keys:
        return {literal(k): literal(v) for k, v in zip(node.keys, node.values, strict=True)}
    if (
        isinstance(node, _ast.Call)
        and isinstance(node.func, _ast.Name)
        and node.func.id == "set"
        and not node.args
        and not node.keywords
    ):
        return set()
    if isinstance(node, _ast.UnaryOp) and isinstance(node.op, _UNARY):
        operand = literal(node.operand)
        if type(operand) in (int, float, complex):
            return +operand if isinstance(node.op, _ast.UAdd) else -operand
    if isinstance(node, _ast.BinOp) and isinstance(node.op, (_ast.Add, _ast.Sub)):
        left, right = literal(node.left), literal(node.right)
        if type(left) in (int, float) and type(right) is complex:
            return left + right if isinstance(node.op, _ast.Add) else left - right
    raise ValueError("malformed node or string")


def literal_eval(text: str) -> Any:
    return literal(compile(text.lstrip(" \t"), "<expected>", "eval", _ast.PyCF_ONLY_AST).body)  # type: ignore[attr-defined]


def same(got: Any, expected_text: str) -> bool:
    try:
        expected = literal_eval(expected_text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return short_repr(got) == expected_text.strip()
    if isinstance(got, float) and isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return abs(got - expected) <= 1e-9 * max(1.0, abs(expected))
    try:
        return bool(got == expected)
    except Exception:  # a learner's broken __eq__
        return False


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
    if isinstance(exc, EOFError):
        return name, "The program tried to read input, but tests give no input: use the function's arguments."
    if isinstance(exc, RecursionError):
        return name, "Too many nested calls (RecursionError): check that the recursion reaches a base case."
    if isinstance(exc, MemoryError):
        return name, "The program used more memory than exercises may use (MemoryError)."
    text = str(exc)
    if len(text) > VALUE_LIMIT:
        text = text[: VALUE_LIMIT - 3] + "..."
    return name, f"{name}: {text}" if text else name


def encode(value: Any) -> str:
    """One JSON value (events hold only text, whole numbers, true/false and null)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    return _json_string(value if type(value) is str else str(value))


class Reporter:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, **event: Any) -> None:
        data = ("{" + ", ".join(f"{_json_string(k)}: {encode(v)}" for k, v in event.items()) + "}\n").encode(
            "utf-8", "replace"
        )
        while data:
            written = os.write(self.fd, data)
            data = data[written:]


def on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TestTimeout()


def run_test(
    index: int, test: dict[str, Any], namespace: dict[str, Any], per_test_s: float, reporter: Reporter
) -> str:
    reporter.send(event="start", index=index)
    result: dict[str, Any] = {
        "event": "result",
        "index": index,
        "status": "pass",
        "got": None,
        "message": "",
        "exception": None,
        "line": None,
    }
    signal.setitimer(signal.ITIMER_REAL, per_test_s)
    try:
        if test.get("call") is not None:
            got = normalise(eval(compile(test["call"], "<test>", "eval"), namespace))
            result["got"] = short_repr(got)
            if not same(got, test["expected"]):
                result["status"] = "fail"
                result["message"] = f"Expected {test['expected']}, got {result['got']}."
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
        )
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit included
        name, message = describe(exc)
        result.update(status="error", exception=name, message=message, line=learner_line(exc.__traceback__))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    reporter.send(**result)
    return result["status"]


def main() -> None:
    job_path, result_fd = sys.argv[1], int(sys.argv[2])
    with open(job_path, "rb") as handle:
        job = marshal.load(
            handle
        )  # written by the parent, the same interpreter, before any learner code runs
    workdir = os.path.dirname(os.path.abspath(job_path))
    os.chdir(workdir)
    os.remove(job_path)  # the learner's code has no business reading the tests' expected values
    reporter = Reporter(result_fd)
    lower_priority(job["limits"].get("nice", 0))
    set_limits(job["limits"])
    sys.setrecursionlimit(job["limits"].get("recursion", 3000))
    signal.signal(signal.SIGALRM, on_alarm)
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_MODULES:
            del sys.modules[name]
    install_audit_hook(workdir)
    namespace = {"__name__": "__main__", "__file__": LEARNER_FILE, "__builtins__": __builtins__}
    per_test_s = job["limits"]["per_test_s"]
    reporter.send(event="loading")
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
            exception=None,
            line=None,
            message=f"Running the file took longer than {per_test_s:g} s (an endless loop?).",
        )
        return
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
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    entry = job.get("entry")
    if entry and not callable(namespace.get(entry)):
        reporter.send(
            event="module_error",
            status="error",
            exception="NameError",
            line=None,
            message=f"The file does not define a function named {entry}().",
        )
        return
    timeouts = 0
    for index, test in enumerate(job["tests"]):
        status = run_test(index, test, namespace, per_test_s, reporter)
        timeouts += status == "timeout"
        if (status != "pass" and job.get("stop_on_failure")) or timeouts >= MAX_TIMEOUTS:
            reporter.send(
                event="stopped", index=index, reason="timeouts" if timeouts >= MAX_TIMEOUTS else "failure"
            )
            break
    reporter.send(event="done")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (learner __del__ methods, atexit handlers)


if __name__ == "__main__":
    main()
