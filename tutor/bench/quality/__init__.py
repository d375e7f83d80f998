"""``tutor bench quality``: the Hints-In-Browser benchmark (quality, cost, time and privacy of every hint source)."""
