"""fieldtui: a keyboard-first terminal tool for township veterans-service officers.

The package ``__init__`` stays empty on purpose: ``fieldtui`` is imported on every start, and
nothing heavy may come with it.
"""

__version__ = "0.1.0"
