"""scripts/setup_course.py, the setup without make, bash or apt (Windows, macOS, Linux)."""

import importlib.util
import json

import pytest
import setup_course

from course_utils import data


@pytest.fixture
def offline_without_apt(monkeypatch, tmp_path):
    """No Debian copy, no apt-get, and torchvision's download failing as it does offline."""
    def refuse(*args, **kwargs):
        raise RuntimeError("Error downloading: <urlopen error Name or service not known>")

    name = "fashion-mnist"
    monkeypatch.setitem(data.DATASETS, name, (*data.DATASETS[name][:2], tmp_path / "no-copy"))
    monkeypatch.setattr(data._torchvision_class(name), "download", refuse)
    monkeypatch.setattr(data.shutil, "which", lambda command: None)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))


def test_data_offline_without_apt_says_what_to_do_and_fails(offline_without_apt, capsys):
    assert setup_course.main(["data"]) == 2
    err = capsys.readouterr().err
    assert "connect to the internet once" in err and "torchvision downloads it" in err
    assert "copy the folder FashionMNIST/raw" in err
    assert "apt-get" not in err, "no apt advice where there is no apt"


def test_jets_without_pythia_say_how_to_get_them_and_succeed(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    real = importlib.util.find_spec
    monkeypatch.setattr(setup_course.importlib.util, "find_spec",
                        lambda name: None if name == "pythia8mc" else real(name))
    for machine, platform_words in [(("win32", "AMD64"), "no wheels for this computer"),
                                    (("linux", "x86_64"), "pip install -e \".[jets]\"")]:
        monkeypatch.setattr(setup_course.sys, "platform", machine[0])
        monkeypatch.setattr(setup_course.platform, "machine", lambda m=machine[1]: m)
        assert setup_course.main(["jets"]) == 0
        out = capsys.readouterr().out
        assert platform_words in out
        assert "copy the folder data/jets" in out and "WSL" in out and "Binder" in out
    (tmp_path / "jets").mkdir()
    for name in setup_course.JET_FILES:
        (tmp_path / "jets" / f"{name}.npz").write_bytes(b"")
    assert setup_course.main(["jets"]) == 0
    assert "in place" in capsys.readouterr().out


def test_lab_settings_land_in_the_environment(monkeypatch, tmp_path):
    monkeypatch.setattr(setup_course.sys, "prefix", str(tmp_path))
    assert setup_course.main(["lab-settings"]) == 0
    installed = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    source = setup_course.ROOT / "jupyterlab-settings" / "overrides.json"
    assert json.loads(installed.read_text()) == json.loads(source.read_text())


def test_unknown_step_is_named(capsys):
    assert setup_course.main(["dataa"]) == 2
    assert "unknown step 'dataa'" in capsys.readouterr().err
