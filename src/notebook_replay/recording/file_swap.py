"""Replace several files as one: all of them, or none.

A recording replaces a page's cassette, its provenance, a live recording's fidelity report
and both notebooks. Each new content is first written whole beside its target (a temporary
file in the target's own folder, so every rename stays within one file system); only once
every one of them is on disk are they renamed over their targets. Should a rename fail
midway, the targets already replaced are put back from links to the old files made just
before. A failure while staging (a read-only or full folder) therefore changes nothing, and
the error names the file.

    with FileSwap() as swap:
        swap.stage_file(staged_cassette, committed / "page.yaml")
        swap.stage_text(notebook_path, text)
        swap.commit()
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from ..cassette import _mode_for  # a new file gets the old one's permissions, as there
from ..errors import CassetteWriteError


class FileSwap:
    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary file, target)

    def __enter__(self) -> FileSwap:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()

    def _temporary(self, target: Path) -> Path:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".new")
        except OSError as problem:
            raise CassetteWriteError(str(target), problem) from None
        os.close(fd)
        self._staged.append((Path(name), target))
        return Path(name)

    def stage_text(self, target: Path, text: str) -> None:
        """Write `text` beside `target`, with the target's permissions, synced to disk."""
        temporary = self._temporary(target)
        try:
            os.chmod(temporary, _mode_for(target))
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as problem:
            raise CassetteWriteError(str(target), problem) from None

    def stage_file(self, source: Path, target: Path) -> None:
        """Copy `source` beside `target` (the staging folder may be elsewhere)."""
        temporary = self._temporary(target)
        try:
            shutil.copyfile(source, temporary)
            os.chmod(temporary, _mode_for(target))
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
        except OSError as problem:
            raise CassetteWriteError(str(target), problem) from None

    def commit(self) -> None:
        """Rename every staged file over its target; on a failure, put back the targets
        already replaced and raise CassetteWriteError naming the file that failed."""
        backups: list[tuple[Path | None, Path]] = []
        try:
            for temporary, target in self._staged:
                backup = None
                if target.exists():
                    backup = temporary.with_suffix(".old")
                    try:
                        os.link(target, backup)
                    except OSError:
                        shutil.copy2(target, backup)
                backups.append((backup, target))
            replaced: list[tuple[Path | None, Path]] = []
            for (temporary, target), kept in zip(self._staged, backups, strict=True):
                try:
                    os.replace(temporary, target)
                except OSError as problem:
                    for backup, done in reversed(replaced):
                        if backup is None:
                            done.unlink(missing_ok=True)
                        else:
                            os.replace(backup, done)
                    raise CassetteWriteError(str(target), problem) from None
                replaced.append(kept)
            self._staged = []
        except OSError as problem:  # a backup that could not be made: nothing replaced yet
            raise CassetteWriteError(str(target), problem) from None
        finally:
            for backup, _ in backups:
                if backup is not None:
                    with contextlib.suppress(OSError):
                        backup.unlink()

    def discard(self) -> None:
        """Remove whatever is staged and not committed."""
        for temporary, _ in self._staged:
            with contextlib.suppress(OSError):
                temporary.unlink()
        self._staged = []
