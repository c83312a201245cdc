"""Key numbers of a notebook, shown to the reader and collected by ``make bench``."""

from __future__ import annotations

import json
import os


def report(notebook: str, **metrics: float) -> dict[str, float]:
    """Print ``metrics`` as a small table; append them to ``$COURSE_METRICS_FILE`` if it is set.

    Introduced in notebook 01.
    """
    clean = {}
    for key, value in metrics.items():
        if not isinstance(value, (int, float)):
            raise TypeError(f"metric {key!r} must be a number, got {type(value).__name__}; "
                            "use .item() on tensors")
        clean[key] = float(value)
    width = max(map(len, clean), default=0)
    for key, value in clean.items():
        print(f"{key:<{width}}  {value:.6g}")
    path = os.environ.get("COURSE_METRICS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"notebook": notebook, **clean}) + "\n")
    return clean
