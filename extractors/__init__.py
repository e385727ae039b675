"""Pure parsers: bytes in, typed records out (DESIGN.md §1, §5).

Extractors register themselves on import. The list of extractor modules is in
:mod:`extractors._all`; :mod:`extractors.registry` loads it the first time the registered
extractors are asked for, so importing one helper of this package (``extractors.timeutil``)
does not import every parser, numpy and Pillow with it.
"""
