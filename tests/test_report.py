import json

import pytest
import torch

from course_utils.report import report


def test_report_prints_and_appends(tmp_path, monkeypatch, capsys):
    path = tmp_path / "m.jsonl"
    monkeypatch.setenv("COURSE_METRICS_FILE", str(path))
    report("01", ratio=1.0003, k=84)
    report("02", mse=0.01)
    assert "ratio  1.0003" in capsys.readouterr().out
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [{"notebook": "01", "ratio": 1.0003, "k": 84.0}, {"notebook": "02", "mse": 0.01}]


def test_report_without_file_only_prints(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_METRICS_FILE", raising=False)
    assert report("01", a=2) == {"a": 2.0}


def test_report_rejects_tensors():
    with pytest.raises(TypeError, match=r"\.item\(\)"):
        report("01", a=torch.tensor(1.0))
