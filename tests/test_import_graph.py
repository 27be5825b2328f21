"""No layer imports a layer above it: cli -> api -> engine/probes -> targets/judges/scanners/stats -> types.

Every import of a weightwatch module counts, including the ones inside functions (lazy imports). A new
module must be given its layer below, so the rule cannot be side-stepped by adding a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

TYPES, TOOLS, MIDDLE, API, CLI = 0, 1, 2, 3, 4
NAMES = {TYPES: "types", TOOLS: "targets/judges/scanners/stats", MIDDLE: "engine/probes", API: "api", CLI: "cli"}

# module prefix -> layer (the longest matching prefix wins)
LAYERS = {
    "weightwatch": TYPES,  # the package itself: __version__
    "weightwatch.types": TYPES,
    "weightwatch.errors": TYPES,
    "weightwatch.datafiles": TYPES,
    "weightwatch.config": TYPES,
    "weightwatch.envvars": TYPES,
    "weightwatch.plugins": TYPES,
    "weightwatch.stderr": TYPES,
    "weightwatch.targets": TOOLS,
    "weightwatch.judges": TOOLS,
    "weightwatch.scanners": TOOLS,
    "weightwatch.stats": TOOLS,
    "weightwatch.sandbox": TOOLS,
    "weightwatch.modify": TOOLS,  # file formats and activation capture (used by targets.llamacpp) ...
    "weightwatch.modify.prompts": MIDDLE,  # ... the refusal-direction search over probe data ...
    "weightwatch.modify.search": MIDDLE,
    "weightwatch.modify.pipeline": MIDDLE,
    "weightwatch.modify.audit": API,  # ... the before/after audit, which runs audits through the API
    "weightwatch.engine": MIDDLE,
    "weightwatch.probes": MIDDLE,
    "weightwatch.cost": MIDDLE,
    "weightwatch.ecosystem": MIDDLE,
    "weightwatch.api": API,
    "weightwatch.report": API,  # renders summaries and journals; the API never imports it
    "weightwatch.cli": CLI,
    "weightwatch.__main__": CLI,
    "weightwatch.report.cli": CLI,
    "weightwatch.ecosystem.cli": CLI,
    "weightwatch.modify.cli": CLI,
}
# siblings of one layer that must not know each other
APART = [("weightwatch.engine", "weightwatch.probes"), ("weightwatch.probes", "weightwatch.engine")]
# (importer, imported) allowed against the rule, with the reason
EXCEPTIONS = {
    ("weightwatch", "weightwatch.api"): "the package's lazy `weightwatch.run` / `weightwatch.audit` facade",
}


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None)
    assert best is not None, f"{module} has no layer: add it to LAYERS in tests/test_import_graph.py"
    return LAYERS[best]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "weightwatch"}
        elif (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
              and node.module.split(".")[0] == "weightwatch"):
            out.add(node.module)
            # `from weightwatch.probes import registry` imports weightwatch.probes.registry
            out |= {f"{node.module}.{a.name}" for a in node.names
                    if (SRC / Path(*node.module.split("."), a.name)).with_suffix(".py").exists()
                    or (SRC / Path(*node.module.split("."), a.name)).is_dir()}
    return out


def edges() -> list[tuple[str, str]]:
    files = sorted((SRC / "weightwatch").rglob("*.py"))
    assert len(files) > 50
    return [(module_name(f), dep) for f in files for dep in sorted(imports(f))]


def test_no_layer_imports_a_layer_above_it() -> None:
    bad = []
    for importer, imported in edges():
        if (importer, imported) in EXCEPTIONS:
            continue
        if layer(imported) > layer(importer):
            bad.append(f"{importer} ({NAMES[layer(importer)]}) imports {imported} ({NAMES[layer(imported)]})")
    assert not bad, "\n".join(bad)


def test_engine_and_probes_do_not_know_each_other() -> None:
    bad = [f"{a} imports {b}" for a, b in edges() for x, y in APART
           if (a == x or a.startswith(x + ".")) and (b == y or b.startswith(y + "."))]
    assert not bad, "\n".join(bad)


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from weightwatch.api import run\n    import weightwatch.cli\n", encoding="utf-8")
    assert imports(f) == {"weightwatch.api", "weightwatch.cli"}
    assert layer("weightwatch.report.cli") == CLI and layer("weightwatch.report.html") == API
    assert layer("weightwatch.targets.spec") == TOOLS and layer("weightwatch.types") == TYPES
