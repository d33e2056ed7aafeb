"""Helpers shared by the example data generators (``examples/*/make_data.py``).

``workbook``: the look of the sheets, their usual rows, the mess (values as clerks write them) and
the byte-for-byte reproducible save; ``values``: bounds, random rates and the quarter ``--period``.

Not part of safescore and not copied by ``safescore init``: the generators run from the source
checkout and put ``examples/`` on ``sys.path`` to import this package.
"""
