"""Jinja extensions of the project template (cookiecutter's "local extensions").

``axiomod_version`` is a global holding the installed axiomod's version, so a rendered
``pyproject.toml`` asks for at least the axiomod that rendered it; written by hand because
cookiecutter has no built-in for "the version of the package that ships the template".

``axiomod_python`` (the Python ``axiomod new`` runs on, when axiomod supports it) is the
default answer for ``python_version``, and ``django_requirement(python)`` the Django
specifier a project on that Python gets: both from :mod:`axiomod.support`, the one place
that states the supported Django × Python set.

``axiomod_source()`` is where the rendering axiomod came from when that was not a package
index (:mod:`axiomod.devtools.scaffold.source`): the ``Makefile`` installs it from there.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from jinja2 import Environment
from jinja2.ext import Extension

from axiomod import support
from axiomod.devtools.scaffold import source


def _installed_axiomod() -> str:
    try:
        return version("axiomod")
    except PackageNotFoundError:  # rendered from a checkout that is not installed
        from axiomod import __version__

        return __version__


class AxiomodVersionExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["axiomod_version"] = _installed_axiomod()
        environment.globals["axiomod_python"] = support.running_python()
        environment.globals["django_requirement"] = support.django_requirement
        environment.globals["axiomod_source"] = source.current
