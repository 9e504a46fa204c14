"""The build cache in ``OUT/.cache/``: what an unchanged input needs not be made again.

Three records, all keyed by content hashes that include derivgen's own source code (every
``.py`` and ``.lark`` file of the package), so that a code change invalidates everything:

* per problem, ``KEY.json`` in the shared store (``store_folder()``: the user's cache folder,
  ``~/.cache/derivgen/problems`` or ``$DERIVGEN_CACHE/problems``, shared by every output
  folder, variant and process): its rendered LaTeX (``RenderedProblem.parts``), with KEY the
  hash of the code, the file's name and bytes, the variant and its set's ``preamble:`` --
  not of its folder (nor of the rest of its set.yaml), so that
  the same problem in another folder or build is not derived again.  Only successes are
  stored; the least recently used entries beyond ``STORE_LIMIT`` are removed.
* per document, ``documents.json``: the hash of the ``.tex`` last compiled and of the PDF it
  gave; the same ``.tex`` with that PDF still in place is not compiled again.
* per build, ``build.json``: the fingerprint of the whole input (code, set meta, every
  problem file) and the hashes of the outputs it gave.  A build whose fingerprint and
  outputs match does nothing at all: ``up_to_date`` decides it from file hashes alone.

This module imports only the standard library, so that the no-change rebuild never loads
SymPy.  The cache is advisory: an unreadable, partial or foreign entry counts as missing
(and is replaced once derived again), and every write goes to a temporary file renamed into
place, so that builds running at the same time may share the store.

    >>> cache = BuildCache("build")                              # doctest: +SKIP
    >>> cache.up_to_date(cache.fingerprint(files, meta))         # doctest: +SKIP
    False
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from derivgen.files import user_cache_dir, write_atomically

FORMAT = 1
#: Entries kept in the shared store (~10 KB each): a term's worth of classes and variants.
STORE_LIMIT = 20000
PACKAGE = Path(__file__).resolve().parent.parent  # the whole derivgen package
KINDS = ("worksheet", "solutions", "answers")


def digest(*parts: bytes | str) -> str:
    """SHA-256 of the parts, each length-prefixed so that no two sequences collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def file_digest(path) -> str | None:
    try:
        return digest(Path(path).read_bytes())
    except OSError:
        return None


_SOURCE_HASH: str | None = None


def source_hash() -> str:
    """A hash of derivgen's code (``*.py`` and ``*.lark``) and of the Python running it."""
    global _SOURCE_HASH
    if _SOURCE_HASH is None:
        files = sorted(p for pattern in ("*.py", "*.lark") for p in PACKAGE.rglob(pattern))
        parts = [sys.version]
        for path in files:
            parts += [path.relative_to(PACKAGE).as_posix(), path.read_bytes()]
        _SOURCE_HASH = digest(*parts)
    return _SOURCE_HASH


class BuildCache:
    """The cache of one output folder; ``enabled=False`` (``--no-cache``) reads and writes nothing."""

    def __init__(self, out_dir, enabled: bool = True):
        self.out_dir = Path(out_dir)
        self.folder = self.out_dir / ".cache"
        self.enabled = enabled
        self.store = store_folder() or self.folder / "problems"
        self.stored = 0

    # --- problems ------------------------------------------------------------------------

    def problem_key(self, path, variant: str = "", preamble: str | None = "") -> str | None:
        """The key of a problem's entry: code, file name and bytes, variant, and the meaning
        of its set's ``preamble:`` (``problem.load.preamble_key``: the macros expanded in
        it); None if unreadable.  The name is part of it because the problem's id is its
        file's stem."""
        try:
            data = Path(path).read_bytes()
        except OSError:
            return None
        if preamble is None:
            return None
        return digest(source_hash(), Path(path).name, data, variant, preamble)

    def load_problem(self, path, key: str | None) -> dict | None:
        """The stored ``{"id": ..., "parts": {kind: latex}}`` at ``key``, or None."""
        if not self.enabled or key is None or self.store is None:
            return None
        entry = self._read(self.store / f"{key}.json")
        if not (isinstance(entry, dict) and entry.get("key") == key
                and isinstance(entry.get("id"), str) and isinstance(entry.get("parts"), dict)
                and set(KINDS) <= set(entry["parts"])
                and all(isinstance(v, str) for v in entry["parts"].values())):
            return None
        try:  # a hit: recently used, kept longest when the store is pruned
            os.utime(self.store / f"{key}.json")
        except OSError:
            pass
        found = {"id": entry["id"], "parts": entry["parts"]}
        if isinstance(entry.get("extra"), dict):
            found["extra"] = entry["extra"]
        return found

    def store_problem(self, path, key: str | None, problem_id: str, parts: dict,
                      extra: dict | None = None) -> None:
        """Keep a successfully rendered problem in the shared store; ``extra``: more plain
        data (JSON) that its kind of build needs back."""
        if not self.enabled or key is None or self.store is None:
            return
        entry = {"key": key, "id": problem_id, "parts": dict(parts)}
        if extra is not None:
            entry["extra"] = extra
        self._write(self.store / f"{key}.json", entry)
        self.stored += 1

    def prune(self, limit: int = STORE_LIMIT) -> None:
        """After storing: drop the least recently used entries beyond ``limit``."""
        if not self.stored or self.store is None:
            return
        try:
            entries = [(entry.stat().st_mtime, entry) for entry in self.store.glob("*.json")]
        except OSError:
            return
        if len(entries) > limit:
            for _, entry in sorted(entries, key=lambda e: e[0])[:len(entries) - limit]:
                _remove(entry)

    # --- documents -----------------------------------------------------------------------

    def compiled(self, tex: Path, source: str, pdf: Path) -> bool:
        """Whether ``source`` is the ``.tex`` last compiled to ``pdf``, and that PDF is intact."""
        if not self.enabled:
            return False
        record = self._documents().get(Path(tex).stem)
        return (isinstance(record, dict) and record.get("tex") == digest(source)
                and record.get("pdf") == file_digest(pdf))

    def record_compiled(self, tex: Path, source: str, pdf: Path) -> None:
        if not self.enabled:
            return
        records = self._documents()
        records[Path(tex).stem] = {"tex": digest(source), "pdf": file_digest(pdf)}
        self._write(self.folder / "documents.json", {"documents": records})

    def _documents(self) -> dict:
        data = self._read(self.folder / "documents.json")
        records = data.get("documents") if isinstance(data, dict) else None
        return records if isinstance(records, dict) else {}

    # --- the whole build -----------------------------------------------------------------

    def fingerprint(self, files, meta: dict, title: str) -> str | None:
        """A hash of everything a build reads: code, set meta, title, each file's path and bytes."""
        parts = [source_hash(), json.dumps(meta, sort_keys=True, default=str), title]
        for path in files:
            data = file_digest(path)
            if data is None:
                return None
            parts += [str(Path(path).resolve()), data]
        return digest(*parts)

    def up_to_date(self, fingerprint: str | None) -> dict[str, Path] | None:
        """The PDFs by kind if the last build had this fingerprint and its outputs are intact."""
        if not self.enabled or fingerprint is None:
            return None
        data = self._read(self.folder / "build.json")
        if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
            return None
        outputs = data.get("outputs")
        if not isinstance(outputs, dict) or set(outputs) != {f"{k}.{e}" for k in KINDS
                                                             for e in ("tex", "pdf")}:
            return None
        for name, expected in outputs.items():
            if file_digest(self.out_dir / name) != expected:
                return None
        return {kind: self.out_dir / f"{kind}.pdf" for kind in KINDS}

    def record_build(self, fingerprint: str | None) -> None:
        """Remember a fully successful build's fingerprint and the hashes of its outputs."""
        if not self.enabled or fingerprint is None:
            return
        outputs = {f"{k}.{e}": file_digest(self.out_dir / f"{k}.{e}") for k in KINDS
                   for e in ("tex", "pdf")}
        if None not in outputs.values():
            self._write(self.folder / "build.json",
                        {"fingerprint": fingerprint, "outputs": outputs})

    def forget_build(self) -> None:
        """A build that failed or changed the outputs: the next one must not be skipped."""
        if self.enabled:
            _remove(self.folder / "build.json")

    # --- files -----------------------------------------------------------------------------

    def _read(self, path: Path):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT \
                or data.get("code") != source_hash():
            return None
        return data

    def _write(self, path: Path, data: dict) -> None:
        """Write atomically; a cache that cannot be written is not an error, only slower."""
        data = {"format": FORMAT, "code": source_hash(), **data}
        try:
            if path.is_dir() and not path.is_symlink():     # a folder in the entry's place
                _remove(path)
            write_atomically(path, json.dumps(data, ensure_ascii=False))
        except OSError:
            pass


def _remove(path: Path) -> None:
    """Remove a cache file (or a folder someone put in its place); never raises."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def store_folder() -> Path | None:
    """The shared store of rendered problems, in the user's cache folder."""
    folder = user_cache_dir()
    return folder / "problems" if folder is not None else None
