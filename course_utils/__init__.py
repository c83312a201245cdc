"""Helpers for the PH451/PH551 autoencoder course.

Import the modules you need (``from course_utils import data, plot``); nothing
here seeds, prints or downloads at import time.
"""

__version__ = "0.1.0"
