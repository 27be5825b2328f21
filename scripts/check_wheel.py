# ruff: noqa: E501  (data strings and a one-line program kept whole)
"""Check that a built wheel carries every data file of the source tree's package.

Run: python scripts/check_wheel.py dist/weightwatch-*.whl
Every non-Python file under src/weightwatch (datasets, rules, templates, tables) must be in the
wheel, and the wheel must import and load the probes' data when installed on its own.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "weightwatch"


def main(wheel: str) -> int:
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = sorted(
        str(p.relative_to(ROOT / "src"))
        for p in PKG.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    )
    missing = [w for w in wanted if w not in names]
    if missing:
        print(f"the wheel lacks {len(missing)} data file(s):", *missing, sep="\n  ")
        return 1
    print(f"wheel carries all {len(wanted)} data files")
    # install the wheel alone (no source tree on the path) and load every probe's plan
    with tempfile.TemporaryDirectory() as tmp:
        py = sys.executable  # its own dependencies; weightwatch itself comes from the wheel only
        subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--target", f"{tmp}/site", wheel], check=True)
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "import weightwatch, pathlib;"
            "assert str(pathlib.Path(weightwatch.__file__)).startswith(sys.argv[1]), weightwatch.__file__;"
            "from weightwatch.probes import registry;"
            "from weightwatch.probes.base import PlanContext, TargetInfo;"
            "from weightwatch.types import Fingerprint;"
            "info = TargetInfo(label='x', kind='openai', fingerprint=Fingerprint(kind='openai', name='x'));"
            "counts = {n: len(list(registry.get(n).plan(info, PlanContext(size='full')))) for n in registry.available()};"
            "print('planned from the installed wheel:', counts);"
            "assert all(counts.values()), counts"
        )
        subprocess.run([py, "-I", "-c", code, f"{tmp}/site"], check=True, cwd=tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
