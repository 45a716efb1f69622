"""pytest settings for the docs tree: markdown pages are doctested, mkdocs hooks are not.

The mkdocs hooks in ``docs/hooks/`` are build plugins, not importable test modules (one is
named ``math.py`` and would collide with the standard library under --doctest-modules).
"""

collect_ignore_glob = ["hooks/*"]
