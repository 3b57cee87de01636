"""The top of the tree: runners that import everything below them and that nothing below imports.

``benchmarks`` (``aisle bench …``) and ``loadtest`` (``aisle bench load``, and the HTTP test
clients the UI tests use) drive the real agent, retrieval and model code; the CLI
(``aisle/cli/``) calls them. ``agent``, ``retrieval``, ``finetune`` and ``ui`` never import
``aisle.tools`` or ``aisle.cli``; the rest of ``aisle`` (settings, errors, text, formatting,
labels, fileio, offline, logs) is the base layer everything imports.
"""
