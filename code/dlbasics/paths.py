"""Where data sets live on disk.

``DLB_DATA_DIR`` names the folder when it is set: a shared, read-only copy on
an offline build machine, or any folder a reader prefers. Otherwise data goes
to a per-user cache folder, created on first use, so that no chapter writes
into the repository.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_ENV_VAR = "DLB_DATA_DIR"


class DataDirError(RuntimeError):
    """The data folder is missing, unusable or wrongly configured."""


def default_data_dir() -> Path:
    """The per-user cache folder used when ``DLB_DATA_DIR`` is not set."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dlbasics" / "data"


def data_dir() -> Path:
    """The folder that holds (or will hold) the book's data sets.

    With ``DLB_DATA_DIR`` set, that folder is used as it is and must already
    exist: it is never created, because a typo should not silently start a
    fresh download somewhere else. Without it, the per-user cache folder of
    :func:`default_data_dir` is created if needed.
    """
    configured = os.environ.get(DATA_ENV_VAR, "")
    if not configured:
        folder = default_data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    folder = Path(configured).expanduser()
    if not folder.is_absolute():
        # Chapters run with book/ as their working folder, scripts with
        # wherever they were started: a relative path means different folders.
        raise DataDirError(
            f"{DATA_ENV_VAR} is the relative path {configured!r}; set it to an absolute path, "
            f"for example {DATA_ENV_VAR}={Path(configured).resolve()}"
        )
    if not folder.exists():
        raise DataDirError(
            f"{DATA_ENV_VAR} points to {folder}, which does not exist. Create that folder "
            f"(downloads go there), point {DATA_ENV_VAR} at the folder that holds MNIST/raw/, "
            f"or unset it to use {default_data_dir()}"
        )
    if not folder.is_dir():
        raise DataDirError(f"{DATA_ENV_VAR} points to {folder}, which is a file, not a folder")
    return folder
