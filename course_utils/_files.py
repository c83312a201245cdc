"""Writing a file atomically: the one way the course writes checkpoints and data files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

_UMASK = os.umask(0)   # read once, at import: setting it to read it is not thread-safe
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """``write(tmp)`` fills a temporary file beside ``path``, which then replaces ``path`` in one
    step: an interrupted or failing write never leaves a half file (the temporary one is removed).
    The file gets the usual permissions (``0o666`` less the umask), not ``mkstemp``'s private ones,
    so that a cache or a data folder can be shared."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
