"""The PySide6 desktop app. Calls ``tutor``; ``tutor`` never imports anything from here."""
