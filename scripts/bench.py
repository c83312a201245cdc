"""Execute notebooks headless, one fresh kernel each, and report wall time and key numbers.

Usage: python scripts/bench.py notebooks/01_*.ipynb ...   (writes build/bench.md)
Each notebook reports its key numbers with course_utils.report.report(); this script collects
them through $COURSE_METRICS_FILE and sets them beside the targets of the issues.
"""

from __future__ import annotations

import json
import operator
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}

# notebook stem -> {metric: (comparison, target)}; "wall_s" is the notebook's wall time.
TARGETS = {
    "01_pca_linear_autoencoder": {
        "wall_s": ("<=", 90),
        "k32_mse_ratio": ("<=", 1.01),
        "top8_mean_angle_deg": ("<", 5.0),
    },
    "02_nonlinear_stacked_autoencoders": {
        "wall_s": ("<=", 180),
        "mlp_over_pca": ("<", 1.0),
    },
    "03_convolutional_autoencoders": {
        "wall_s": ("<=", 180),
    },
    "04_recurrent_autoencoders": {
        "wall_s": ("<=", 180),
    },
    "05_denoising_autoencoders": {
        "wall_s": ("<=", 180),
        "gain_over_noisy_db": (">=", 7.0),
        "gain_over_pca_db": (">=", 2.0),
    },
    "06_variational_autoencoders": {
        "wall_s": ("<=", 180),
    },
}


def run(path: Path, metrics_file: Path) -> tuple[float, str | None]:
    """Execute one notebook in a fresh kernel; returns (wall seconds, error or None)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    os.environ["COURSE_METRICS_FILE"] = str(metrics_file)
    start = time.perf_counter()
    try:
        client.execute()
        error = None
    except Exception as exc:  # report the failure in the table, keep benchmarking the rest
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:120]}"
    return time.perf_counter() - start, error


def fmt(value: float) -> str:
    return f"{value:.5g}" if abs(value) < 1000 else f"{value:.0f}"


def main(paths: list[str]) -> int:
    out = ROOT / "build"
    out.mkdir(exist_ok=True)
    rows, failed = [], False
    for p in map(Path, paths):
        with tempfile.TemporaryDirectory() as tmp:
            metrics_file = Path(tmp) / "metrics.jsonl"
            wall, error = run(p, metrics_file)
            metrics = {}
            if metrics_file.exists():
                for line in metrics_file.read_text().splitlines():
                    metrics.update({k: v for k, v in json.loads(line).items() if k != "notebook"})
        metrics["wall_s"] = wall
        targets = TARGETS.get(p.stem, {})
        cells = []
        for key in ["wall_s", *sorted(k for k in metrics if k != "wall_s")]:
            text = f"{key} = {fmt(metrics[key])}"
            if key in targets:
                op, target = targets[key]
                ok = OPS[op](metrics[key], target)
                failed |= not ok
                text += f" (target {op} {target}: {'met' if ok else 'MISSED'})"
            cells.append(text)
        for key in sorted(set(targets) - set(metrics)):
            cells.append(f"{key}: not reported (target {targets[key][0]} {targets[key][1]})")
            failed = True
        if error:
            cells.insert(0, f"FAILED: {error}")
            failed = True
        rows.append(f"| {p.stem} | {wall:.1f} | {'<br>'.join(cells)} |")
        print(rows[-1], flush=True)
    cores = os.cpu_count()
    report = "\n".join([
        "# Benchmark", "",
        f"Each notebook executed headless in a fresh kernel on {cores} CPU cores "
        f"({time.strftime('%Y-%m-%d %H:%M')}).", "",
        "| notebook | wall s | key numbers (target) |", "|---|---|---|", *rows, ""])
    (out / "bench.md").write_text(report)
    print(f"wrote {out / 'bench.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
