"""Entry point of the frozen app (PyInstaller). ``--tutor-child`` runs the test harness and ``--tutor-engine`` the
engine process (a frozen app has no separate Python to start them with); no arguments opens the window; anything
else is the ``tutor`` command."""

import sys


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--tutor-child":
        from tutor.runner import child  # stdlib only: nothing heavy is imported before learner code runs

        sys.argv = [sys.argv[0], *sys.argv[2:]]
        child.main()
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--tutor-engine":
        from tutor.engines import engine_host  # llama.cpp in its own process (see tutor/engines/process.py)

        return engine_host.main()
    from ui.cli import main as tutor_main

    return tutor_main(sys.argv[1:] or ["app"])


if __name__ == "__main__":
    sys.exit(main())
