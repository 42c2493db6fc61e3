"""Run a documentation notebook from its recorded cassette, live, or while recording.

A page's first code cell calls ``start("<page>")`` once; see README.md.
"""

from .session import start, stop

__all__ = ["start", "stop"]
__version__ = "0.1.0"
