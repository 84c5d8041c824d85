"""Where a rendered project gets axiomod from: the package index, or the axiomod that rendered it.

A project asks for ``axiomod>=<version>,<2`` in its ``pyproject.toml``. When the axiomod
running ``axiomod new`` did not come from a package index (an editable checkout, a wheel or
a source directory installed by path), that requirement cannot be met from an index, so the
project's ``Makefile`` records the source (``AXIOMOD_SOURCE ?= /path``) and installs
axiomod from it before the project. pip records where a distribution came from in its
``direct_url.json`` (PEP 610): absent for an index, ``dir_info.editable`` for a checkout,
a ``file://`` URL for a local wheel, sdist or directory.

``axiomod new --axiomod-from index|PATH`` overrides what was detected, for the duration
of one rendering (:func:`rendering_with`); the template reads :func:`current`.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import distributions
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

__all__ = ["INDEX", "AxiomodSource", "SourceError", "current", "from_option", "installed"]

#: The ``--axiomod-from`` value for "the package index": pyproject.toml's requirement alone.
INDEX = "index"

#: Files pip installs as they are (a directory is installed editable).
ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip")


class SourceError(ValueError):
    """An ``--axiomod-from`` that names nothing pip could install axiomod from."""


@dataclass(frozen=True)
class AxiomodSource:
    """A local axiomod: a checkout or source directory (installed editable), or an archive."""

    path: str

    @property
    def is_directory(self) -> bool:
        return not self.path.endswith(ARCHIVE_SUFFIXES)

    @property
    def kind(self) -> str:
        """What it is, in words: "the checkout", "the wheel", "the sdist"."""
        if self.is_directory:
            return "the checkout"
        return "the wheel" if self.path.endswith(".whl") else "the sdist"


def installed() -> AxiomodSource | None:
    """Where the running axiomod was installed from, when that was not a package index."""
    for dist in distributions(name="axiomod"):
        text = dist.read_text("direct_url.json")
        if text:
            return _from_direct_url(text)
        # An axiomod.egg-info (PKG-INFO, not METADATA) is a build's leftover in a checkout
        # that may come first on sys.path; pip's record is in the installed .dist-info.
        if dist.read_text("PKG-INFO") is None:
            return None  # a .dist-info without direct_url.json: from an index
    return _checkout()


def _checkout() -> AxiomodSource | None:
    """The checkout this module runs from, when it has no installed record (or none)."""
    root = Path(__file__).resolve().parents[3]
    return AxiomodSource(str(root)) if (root / "pyproject.toml").is_file() else None


def _from_direct_url(text: str) -> AxiomodSource | None:
    try:
        info = json.loads(text)
    except ValueError:
        return None
    url = str(info.get("url", ""))
    # A VCS URL or a web archive is left to the index path: pip reaches neither by path.
    if "vcs_info" in info or urlparse(url).scheme != "file":
        return None
    return AxiomodSource(url2pathname(unquote(urlparse(url).path)))


def from_option(value: str) -> AxiomodSource | None:
    """``--axiomod-from``: ``index`` (None), or a checkout directory, wheel or sdist path."""
    if value == INDEX:
        return None
    path = Path(value).expanduser().resolve()
    if path.is_dir():
        if not (path / "pyproject.toml").is_file():
            raise SourceError(f"--axiomod-from {value}: {path} has no pyproject.toml")
        return AxiomodSource(str(path))
    if path.is_file() and path.name.endswith(ARCHIVE_SUFFIXES):
        return AxiomodSource(str(path))
    if path.exists():
        raise SourceError(
            f"--axiomod-from {value}: not a checkout directory, wheel (.whl) or sdist (.tar.gz)"
        )
    raise SourceError(f"--axiomod-from {value}: no such file or directory (or use 'index')")


_UNSET = object()
_override: contextvars.ContextVar[object] = contextvars.ContextVar("axiomod_source", default=_UNSET)


def current() -> AxiomodSource | None:
    """The source a project rendered now records: the override, else :func:`installed`."""
    chosen = _override.get()
    return installed() if chosen is _UNSET else chosen  # type: ignore[return-value]


@contextlib.contextmanager
def rendering_with(source: AxiomodSource | None) -> Iterator[None]:
    """Render with ``source`` (None: the package index) instead of the detected one."""
    token = _override.set(source)
    try:
        yield
    finally:
        _override.reset(token)
