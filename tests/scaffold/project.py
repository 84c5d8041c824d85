"""A throwaway Django project on disk for the code generation tests.

Generated code is judged where users meet it: in a project of its own, through the
installed ``axiomod`` console script, then linted with ruff, checked by Django, validated
by ``axiomod validator run`` and tested by its own generated tests in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "scaffold-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "axiomod",
    "axiomod_health",
    "axiomod_messaging",
    "axiomod_jobs",
    "axiomod_grpc",
    # generated modules
]
MIDDLEWARE = ["axiomod_health.middleware.HealthProbeMiddleware"]  # axiomod.W023 otherwise
ROOT_URLCONF = "shop.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AXIOMOD = {"service_name": "shop"}
"""

URLS = """\
from django.urls import include, path

urlpatterns = [
    # generated modules
]
"""

PYPROJECT = """\
[tool.ruff]
line-length = 100
target-version = "py311"
extend-exclude = ["**/*_pb2.py", "**/*_pb2.pyi", "**/*_pb2_grpc.py"]

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "N", "SIM", "DJ", "RUF", "PT"]
ignore = ["RUF012"]

[tool.ruff.lint.isort]
known-first-party = ["shop"]

[tool.pytest.ini_options]
DJANGO_SETTINGS_MODULE = "shop.settings"
addopts = "-p no:cacheprovider"
"""


def console_script() -> str:
    found = shutil.which("axiomod", path=str(Path(sys.executable).parent))
    assert found, "the axiomod console script is not installed next to the interpreter"
    return found


def ruff() -> str:
    from ruff.__main__ import find_ruff_bin

    return str(find_ruff_bin())


class Project:
    """A project ``shop`` at ``root`` with no modules yet."""

    def __init__(self, root: Path) -> None:
        self.root = root
        package = root / "shop"
        package.mkdir(parents=True)
        (root / "manage.py").write_text(MANAGE)
        (root / "pyproject.toml").write_text(PYPROJECT)
        (package / "__init__.py").write_text("")
        (package / "settings.py").write_text(SETTINGS)
        (package / "urls.py").write_text(URLS)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXIOMOD_"))}
        env["PYTHONPATH"] = str(self.root)
        return env

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def axiomod(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(console_script(), *args)

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "manage.py", *args)

    def install(self, module: str) -> None:
        """Do the next steps ``generate module`` prints: INSTALLED_APPS and urls."""
        settings = self.root / "shop" / "settings.py"
        settings.write_text(
            settings.read_text().replace(
                "    # generated modules\n", f'    # generated modules\n    "shop.{module}",\n'
            )
        )
        urls = self.root / "shop" / "urls.py"
        urls.write_text(
            urls.read_text().replace(
                "    # generated modules\n",
                f'    # generated modules\n    path(\n        "{module}/",\n'
                f'        include("shop.{module}.delivery.http.urls"),\n    ),\n',
            )
        )

    def files(self) -> dict[str, str]:
        """Every file's text by relative path (caches and compiled files left out)."""
        return {
            path.relative_to(self.root).as_posix(): path.read_text(errors="replace")
            for path in sorted(self.root.rglob("*"))
            if path.is_file()
            and not {"__pycache__", ".ruff_cache", ".pytest_cache"} & set(path.parts)
            and path.suffix != ".sqlite3"
        }
