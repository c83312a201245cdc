"""Helpers for the PH451/PH551 autoencoder course.

Import the modules you need (``from course_utils import data, plot``); nothing
here seeds, prints or downloads at import time. In a notebook kernel on Linux the
import does two things: freed memory goes back to the system after every cell, and without a
CUDA GPU the GPU compiler Triton is kept from loading (:mod:`course_utils._memory`), so that a
class server holds more students.
"""

from ._memory import release_after_cells

__version__ = "0.1.0"

release_after_cells()
