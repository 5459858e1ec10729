"""The data folder: DLB_DATA_DIR when set, else a per-user cache folder."""

from __future__ import annotations

import pytest

from dlbasics import DataDirError, data_dir
from dlbasics.paths import default_data_dir


def test_dlb_data_dir_is_used_as_it_is(monkeypatch, tmp_path):
    monkeypatch.setenv("DLB_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path


def test_without_dlb_data_dir_the_user_cache_is_created(monkeypatch, tmp_path):
    monkeypatch.delenv("DLB_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = data_dir()
    assert folder == default_data_dir()
    assert folder.is_dir() and tmp_path / "cache" in folder.parents


def test_an_empty_dlb_data_dir_counts_as_unset(monkeypatch, tmp_path):
    monkeypatch.setenv("DLB_DATA_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data_dir() == default_data_dir()


def test_a_missing_folder_is_not_created_and_the_error_says_what_to_do(monkeypatch, tmp_path):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("DLB_DATA_DIR", str(missing))
    with pytest.raises(DataDirError) as err:
        data_dir()
    message = str(err.value)
    assert str(missing) in message and "does not exist" in message
    assert "MNIST/raw" in message and "unset it" in message
    assert not missing.exists()


def test_a_relative_path_is_refused_with_its_absolute_form(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLB_DATA_DIR", "data")
    with pytest.raises(DataDirError, match="absolute path") as err:
        data_dir()
    assert str(tmp_path / "data") in str(err.value)


def test_a_file_is_not_a_data_folder(monkeypatch, tmp_path):
    file = tmp_path / "mnist.zip"
    file.write_text("not a folder")
    monkeypatch.setenv("DLB_DATA_DIR", str(file))
    with pytest.raises(DataDirError, match="is a file, not a folder"):
        data_dir()
