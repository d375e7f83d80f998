"""The main window's panels: each owns its widgets, shows what it is given, and reports the learner's actions as
signals. None of them touches the session, the workers or another panel; ``ui.main_window`` connects them."""
