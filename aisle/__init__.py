"""aisle: an offline-first conversational shopping and customer-service agent.

This package holds what every other package shares: typed settings, project errors,
offline guards, small I/O helpers and the ``aisle`` command line. It imports nothing heavy.
"""

__version__ = "0.1.0"
