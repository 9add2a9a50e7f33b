"""The base of every refusal a person should read: bad input, a rule broken, a write refused.

Anything that derives from :class:`Refusal` is shown as one line naming what was wrong; any other
exception is a bug and keeps its traceback.
"""


class Refusal(ValueError):
    """Input or an operation refused with a message meant for the user."""
