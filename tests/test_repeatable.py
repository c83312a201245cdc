"""Same seed, same machine: a notebook's key numbers (its ``report(...)``) do not change between
two cold runs, nor between training and loading from the checkpoint cache.

`make notebooks` records every notebook's numbers (build/metrics/notebooks.jsonl; on a fresh clone
that run is cold). This test runs two cheap notebooks again with the course cache that run filled
(warm: everything loaded), and the cheapest one also with an empty cache (cold: everything trained
again), and compares them exactly with the recorded numbers. One cold repeat is enough to catch a
run that is not deterministic (all notebooks share `train.fit`, the seeds and the data splits);
a second would cost another minute and a half of `make test`. `make repeat`, part of `make test`.
"""

from pathlib import Path

import bench
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_METRICS = ROOT / "build" / "metrics" / "notebooks.jsonl"
WARM = ["07_anomaly_detection", "01_pca_linear_autoencoder"]
COLD = ["07_anomaly_detection"]  # the cheapest cold (40 to 90 s on two cores)


@pytest.mark.repeat
@pytest.mark.parametrize("stem", WARM)
def test_key_numbers_repeat_cold_and_warm(stem, tmp_path, monkeypatch):
    recorded = bench.read_metrics(NOTEBOOK_METRICS).get(stem)
    assert recorded, f"no numbers of {stem} in {NOTEBOOK_METRICS}: run `make notebooks` first"
    path = ROOT / "notebooks" / f"{stem}.ipynb"
    monkeypatch.setenv("COURSE_HEADLESS", "1")

    if stem in COLD:
        monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "empty-cache"))
        _, error = bench.run(path, tmp_path / "cold.jsonl")
        assert error is None, error
        cold = bench.read_metrics(tmp_path / "cold.jsonl")[stem]
        assert cold == recorded, f"two runs differ: {_diff(recorded, cold)}"
        monkeypatch.delenv("COURSE_CACHE_DIR")  # the course cache, as filled by `make notebooks`

    _, error = bench.run(path, tmp_path / "warm.jsonl")
    assert error is None, error
    warm = bench.read_metrics(tmp_path / "warm.jsonl")[stem]
    assert warm == recorded, f"loading from the cache differs from training: {_diff(recorded, warm)}"


def _diff(a: dict, b: dict) -> dict:
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
