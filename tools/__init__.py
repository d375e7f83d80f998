"""Team tools beside the product (benchmark tables, the ship gate, house counts): run as ``python -m tools.NAME``
or ``python tools/NAME.py``; never imported by ``tutor`` or ``ui``."""
