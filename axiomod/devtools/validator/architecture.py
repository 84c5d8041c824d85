"""Import rules between the layers of each module and between modules.

The import graph comes from grimp (the library behind import-linter), which parses every
file of the project's packages and gives each import's line number; this module only
decides which imports the rules allow. A module's files are placed in layers by their path
inside the module (``example/invoices/delivery/http/views.py`` is ``delivery/http/views``,
in the ``delivery`` layer). For each import from a module's file to project code:

* to another module: allowed by ``domainRules`` (or a pattern rule), else ``cross-module``;
* within the module, from a file in no layer (``container.py``, ``models.py``...): allowed;
* within the module, from a layer: allowed to its own layer, to what the layer's list
  names (or a pattern rule allows), else ``layer``;
* to project code outside every module, from a layer: allowed when the layer's list or a
  pattern rule names it, else ``pattern``.

A module nested in another (``axiomod.devtools`` in ``axiomod``) is a module of its own, as
an importer and as a target: a domain rule naming the outer module does not name it.

Imports of anything else (the standard library, Django, axiomod) are counted, not judged.
"""

from __future__ import annotations

import os
from pathlib import Path

from axiomod.devtools.validator.project import ProjectModule
from axiomod.devtools.validator.report import NO_MODULES, CheckResult, Finding
from axiomod.devtools.validator.rules import Rules, path_is, path_matches

LAYER = "layer"
CROSS_MODULE = "cross-module"
PATTERN = "pattern"


class Judge:
    """Decides, import by import, whether the rules allow it (see the module docstring)."""

    def __init__(self, rules: Rules, modules: list[ProjectModule]) -> None:
        self.rules = rules
        self.layers = rules.layers
        # Longest name first, so a nested module wins over the package that holds it.
        self.modules = sorted(modules, key=lambda module: -len(module.name))
        self.top_levels = {module.top_level for module in modules}

    def module_of(self, name: str) -> ProjectModule | None:
        for module in self.modules:
            if name == module.name or name.startswith(module.name + "."):
                return module
        return None

    def layer_of(self, rel_path: str, full_path: str) -> str | None:
        """The most specific layer key matching the path inside the module (or the full path)."""
        keys = [
            key
            for key in self.layers
            if path_matches(key, rel_path) or path_matches(key, full_path)
        ]
        return max(keys, key=len) if keys else None

    def violation(self, importer: str, imported: str) -> str | None:
        """The category of the violation, or None when the import is allowed."""
        if imported.partition(".")[0] not in self.top_levels:
            return None
        source = self.module_of(importer)
        if source is None:
            return None
        src_full, dst_full = _slash(importer), _slash(imported)
        if self._pattern_allows(src_full, dst_full):
            return None
        target = self.module_of(imported)
        if target is not None and target != source:
            allowed = self._cross_module_allowed(source, target, imported)
            return None if allowed else CROSS_MODULE
        layer = self.layer_of(_inside(source, importer), src_full)
        if layer is None or imported == source.name:
            return None
        dst_rel = _inside(source, imported) if target is not None else dst_full
        if target is not None and (path_matches(layer, dst_rel) or path_matches(layer, dst_full)):
            return None
        if any(
            path_matches(allowed, dst_rel) or path_matches(allowed, dst_full)
            for allowed in self.layers[layer]
        ):
            return None
        return LAYER if target is not None else PATTERN

    def _pattern_allows(self, src_full: str, dst_full: str) -> bool:
        return any(
            path_matches(rule.pattern, src_full) and path_matches(rule.allowed_to_import, dst_full)
            for rule in self.rules.pattern_rules
        )

    def _cross_module_allowed(
        self, source: ProjectModule, target: ProjectModule, imported: str
    ) -> bool:
        domain = self.rules.domain_rules
        if domain.allow_cross_domain_dependencies:
            return True
        for allowed in domain.allowed_cross_domain_imports:
            pattern, public_only = _public_only(allowed.target)
            if public_only and imported != target.name:
                continue
            if self._names(allowed.source, source) and self._names(pattern, target):
                return True
        return False

    def _names(self, pattern: str, module: ProjectModule) -> bool:
        """Whether a domain rule's ``source`` or ``target`` pattern names ``module``.

        It names a module by its last name, by its path, or by a path above it
        (``example`` names ``example/invoices``), but not through a module that holds it:
        ``axiomod`` names the module ``axiomod`` and not the module ``axiomod/devtools``
        nested in it, which ``axiomod/devtools`` or ``axiomod*`` name.
        """
        pattern = pattern.replace(".", "/")
        if path_matches(pattern, module.short):
            return True
        outer = [
            other.slash_path for other in self.modules if module.name.startswith(other.name + ".")
        ]
        # The prefixes of the module's path that lie inside no module holding it.
        limit = min((len(path) for path in outer), default=len(module.slash_path) + 1)
        parts = module.slash_path.split("/")
        prefixes = ["/".join(parts[:count]) for count in range(1, len(parts) + 1)]
        return any(
            path_is(pattern, prefix)
            for prefix in prefixes
            if prefix == module.slash_path or len(prefix) < limit
        )


def check_architecture(rules: Rules, modules: list[ProjectModule]) -> CheckResult:
    """Build the import graph of the modules' packages and report the imports the rules forbid."""
    result = CheckResult("architecture")
    try:
        import grimp
    except ImportError:
        result.error = 'the architecture check needs grimp: pip install "axiomod[scaffold]"'
        return result
    if not modules:
        # A new project has no modules yet: say so rather than "files checked: 0".
        result.note = NO_MODULES
        return result
    result.summary = {"rules": rules.source, "files_checked": 0, "imports_checked": 0}
    judge = Judge(rules, modules)
    graph = grimp.build_graph(
        *sorted(judge.top_levels), include_external_packages=True, cache_dir=None
    )
    files = imports = 0
    for module in sorted(modules, key=lambda module: module.name):
        for importer in sorted({module.name} | graph.find_descendants(module.name)):
            if judge.module_of(importer) != module:
                continue  # a nested module is checked as itself
            path = _file_of(module, importer)
            package_path = "/" + path.relative_to(module.root_dir).as_posix()
            if any(exception in package_path for exception in rules.exceptions):
                continue
            files += 1
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                details = graph.get_import_details(importer=importer, imported=imported)
                imports += max(1, len(details))
                category = judge.violation(importer, imported)
                if category is None:
                    continue
                for line in sorted({detail["line_number"] for detail in details}) or [0]:
                    result.findings.append(
                        Finding(
                            path=_display(path),
                            line=line,
                            message=f"{importer} imports {imported} (not allowed)",
                            category=category,
                            source=importer,
                            target=imported,
                        )
                    )
    result.summary.update(modules=len(modules), files_checked=files, imports_checked=imports)
    return result


def _slash(dotted: str) -> str:
    return dotted.replace(".", "/")


def _inside(module: ProjectModule, dotted: str) -> str:
    """The path of ``dotted`` inside ``module`` (``delivery/http/views``; ``""`` for its root)."""
    return _slash(dotted[len(module.name) + 1 :])


#: A domain rule's target ending in this names only the package itself, its ``__init__``.
PUBLIC_ONLY = "/__init__"


def _public_only(target: str) -> tuple[str, bool]:
    """``("axiomod_*", True)`` for ``axiomod_*/__init__``: the module's public package only."""
    if target.endswith(PUBLIC_ONLY):
        return target[: -len(PUBLIC_ONLY)], True
    return target, False


def _file_of(module: ProjectModule, dotted: str) -> Path:
    parts = [part for part in _inside(module, dotted).split("/") if part]
    base = module.path.joinpath(*parts)
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _display(path: Path) -> str:
    """The path relative to the working directory when it is below it, for clickable output."""
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)
