"""Names a package imports on first use (PEP 562), so importing it stays fast."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any


def _keep_exported_functions(package: str, exports: Mapping[str, str]) -> None:
    """Keep a name such as ``patalliance.stats.mediation`` the function it exports.

    Importing a submodule sets it as an attribute of its package, which would hide a function
    of the same name that the package exports lazily (``from patalliance.stats import
    mediation`` would give the module once ``patalliance.stats.mediation`` had been imported
    anywhere). The package binds the function instead, as an eager
    ``from .mediation import mediation`` would; the submodule stays in ``sys.modules``.
    """
    module = sys.modules.get(package)
    shadowed = {name for name, source in exports.items() if source == f"{package}.{name}"}
    if module is None or not shadowed or type(module) is not types.ModuleType:
        return

    class _Package(types.ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            if name in shadowed and isinstance(value, types.ModuleType):
                value = getattr(value, name)
            super().__setattr__(name, value)

    module.__class__ = _Package


def lazy_exports(
    package: str,
    exports: Mapping[str, str],
    public: Sequence[str],
    namespace: MutableMapping[str, Any],
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``.

    ``exports`` maps each lazily imported name to the module that defines it; on first use the
    name is imported from there and cached in ``namespace`` (the package's ``globals()``).
    ``dir(package)`` lists ``public``.
    """
    _keep_exported_functions(package, exports)

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(public)

    return __getattr__, __dir__
