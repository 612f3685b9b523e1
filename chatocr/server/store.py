"""Metadata of uploaded documents in SQLite (stdlib ``sqlite3``, WAL), and where their files live.

Layout of the data directory::

    chatocr.sqlite3            one row per document (id, name, status, progress, error, …)
    uploads/<id>/upload.<fmt>  the uploaded bytes (content-addressed: id = first 16 hex of the SHA-256)
    uploads/<id>/page-<n>.png  page images rendered for the web page (made on demand)
    documents/…                parsed documents and their indexes (``DocumentCache``)
    tmp/                       uploads being received (emptied at start-up)

Every write is one SQLite transaction and every file is written to a temporary
name and renamed, so a server killed at any moment leaves either the old or the
new state, never a half-written one.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

__all__ = ["DocumentRecord", "MetadataStore", "Status", "valid_id"]

Status = Literal["queued", "parsing", "ready", "failed"]
_ID = re.compile(r"^[0-9a-f]{16}$")
_SCHEMA = 1


def valid_id(doc_id: str) -> bool:
    """True for a document id (16 lowercase hex digits): the only client text that names a file."""
    return isinstance(doc_id, str) and bool(_ID.match(doc_id))


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One uploaded document as the service reports it."""

    id: str
    sha256: str
    name: str
    format: str
    size: int
    status: Status
    pages: int | None = None
    done: int = 0
    error: str | None = None
    attempts: int = 0
    created: float = 0.0
    updated: float = 0.0

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "format": self.format,
            "size": self.size,
            "sha256": self.sha256,
            "pages": self.pages,
            "progress": {"done": self.done, "total": self.pages},
            "error": self.error,
            "created": _iso(self.created),
            "updated": _iso(self.updated),
        }


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


_COLUMNS = [f.name for f in fields(DocumentRecord)]


class MetadataStore:
    """The ``documents`` table.  Thread-safe: one connection behind a lock (writes are tiny)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA:
            raise RuntimeError(f"{self.path}: written by a newer chatocr (schema {version}); upgrade chatocr")
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS documents (
                id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, name TEXT NOT NULL, format TEXT NOT NULL,
                size INTEGER NOT NULL, status TEXT NOT NULL, pages INTEGER, done INTEGER NOT NULL DEFAULT 0,
                error TEXT, attempts INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, updated REAL NOT NULL)"""
        )
        self._db.execute(f"PRAGMA user_version={_SCHEMA}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _row(self, row) -> DocumentRecord | None:
        return DocumentRecord(**dict(zip(_COLUMNS, row, strict=True))) if row else None

    def get(self, doc_id: str) -> DocumentRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM documents WHERE id=?", (doc_id,)).fetchone()
        return self._row(row)

    def all(self, status: Status | None = None) -> list[DocumentRecord]:
        query = f"SELECT {', '.join(_COLUMNS)} FROM documents"
        args: tuple = ()
        if status:
            query, args = query + " WHERE status=?", (status,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created", args).fetchall()
        return [r for r in map(self._row, rows) if r is not None]

    def count(self, *statuses: Status) -> int:
        marks = ",".join("?" * len(statuses))
        with self._lock:
            return self._db.execute(f"SELECT COUNT(*) FROM documents WHERE status IN ({marks})", statuses).fetchone()[0]

    def add(self, rec: DocumentRecord) -> tuple[DocumentRecord, bool]:
        """Insert ``rec`` unless its id is there; returns (the stored record, whether it was inserted)."""
        now = time.time()
        rec = replace(rec, created=now, updated=now)
        with self._lock:
            try:
                self._db.execute(
                    f"INSERT INTO documents ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                    tuple(getattr(rec, c) for c in _COLUMNS),
                )
                return rec, True
            except sqlite3.IntegrityError:
                row = self._db.execute(
                    f"SELECT {', '.join(_COLUMNS)} FROM documents WHERE id=?", (rec.id,)
                ).fetchone()
        stored = self._row(row)
        if stored is None:  # deleted in between: try once more
            return self.add(rec)
        return stored, False

    def update(self, doc_id: str, *, only_if: tuple[Status, ...] = (), **values) -> DocumentRecord | None:
        """Set ``values`` on a document (when its status is one of ``only_if``, if given); the new record or None."""
        unknown = set(values) - set(_COLUMNS) - {"attempts_plus"}
        if unknown:
            raise ValueError(f"unknown columns {sorted(unknown)}")
        sets, args = ["updated=?"], [time.time()]
        if values.pop("attempts_plus", False):
            sets.append("attempts=attempts+1")
        for k, v in values.items():
            sets.append(f"{k}=?")
            args.append(v)
        where = "id=?"
        args.append(doc_id)
        if only_if:
            where += f" AND status IN ({','.join('?' * len(only_if))})"
            args.extend(only_if)
        with self._lock:
            cur = self._db.execute(f"UPDATE documents SET {', '.join(sets)} WHERE {where}", args)
            if cur.rowcount == 0:
                return None
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM documents WHERE id=?", (doc_id,)).fetchone()
        return self._row(row)

    def delete(self, doc_id: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM documents WHERE id=?", (doc_id,)).rowcount > 0

    def integrity_ok(self) -> bool:
        with self._lock:
            return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
