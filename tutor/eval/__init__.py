"""The evaluation layer: items, sets and splits, systems (hint sources), statistics and label files.

Below ``tutor.bench``, ``tutor.arena``, ``tutor.train`` and the app's compare view, which never import each other.
"""
