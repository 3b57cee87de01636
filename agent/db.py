"""SQLite (WAL) for orders, sessions, turns, feedback, actions and handoffs.

The schema is a list of ordered migrations, each applied once and recorded in
``migrations`` (like simonw/llm). Connections are per thread, in WAL mode with
``synchronous=NORMAL`` (durable across process crashes; an OS crash may lose the last
transactions, never corrupt the file) and a busy timeout, so the chat server's worker
threads and a CLI command can use the same file at once. Every multi-row change happens in
one transaction (``with db.transaction() as cur``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aisle.errors import StoreUnavailableError

log = logging.getLogger(__name__)

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE sessions (
            session_id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            state_json TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE turns (
            turn_id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions(session_id),
            idx INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            user_text TEXT NOT NULL,
            reply_text TEXT NOT NULL,
            intent TEXT NOT NULL,
            confidence REAL NOT NULL,
            is_oos INTEGER NOT NULL DEFAULT 0,
            top_k_json TEXT NOT NULL DEFAULT '[]',
            slots_json TEXT NOT NULL DEFAULT '{}',
            product_ids_json TEXT NOT NULL DEFAULT '[]',
            citation_ids_json TEXT NOT NULL DEFAULT '[]',
            action TEXT,
            handoff INTEGER NOT NULL DEFAULT 0,
            handoff_reason TEXT,
            latency_ms REAL NOT NULL DEFAULT 0,
            model_version TEXT,
            degraded INTEGER NOT NULL DEFAULT 0,
            text_hash TEXT
        );
        CREATE INDEX turns_session ON turns(session_id, idx);
        CREATE INDEX turns_created ON turns(created_at);
        CREATE TABLE feedback (
            feedback_id INTEGER PRIMARY KEY AUTOINCREMENT,
            turn_id INTEGER NOT NULL REFERENCES turns(turn_id),
            session_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
            correction TEXT,
            comment TEXT
        );
        CREATE INDEX feedback_turn ON feedback(turn_id);
        CREATE TABLE orders (
            order_id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            items_json TEXT NOT NULL DEFAULT '[]',
            placed_at TEXT,
            shipped_at TEXT,
            delivered_at TEXT,
            carrier TEXT,
            tracking_number TEXT,
            total REAL,
            currency TEXT NOT NULL DEFAULT 'INR',
            return_status TEXT,
            return_requested_at TEXT,
            refund_status TEXT,
            refund_amount REAL,
            refund_issued_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX orders_email ON orders(email);
        CREATE TABLE actions (
            action_id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            session_id TEXT,
            turn_id INTEGER,
            order_id TEXT,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT
        );
        CREATE TABLE handoffs (
            handoff_id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            session_id TEXT NOT NULL,
            turn_id INTEGER,
            reason TEXT NOT NULL,
            summary TEXT NOT NULL,
            transcript TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
        );
        CREATE INDEX handoffs_status ON handoffs(status, created_at);
        """,
    ),
    (
        2,
        """
        CREATE TABLE review_items (
            item_id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            turn_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            predicted TEXT NOT NULL,
            suggested TEXT,
            reason TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            final_label TEXT,
            reviewed_at TEXT,
            provenance_json TEXT NOT NULL DEFAULT '{}',
            UNIQUE(turn_id, reason)
        );
        CREATE INDEX review_status ON review_items(status);
        """,
    ),
    (
        3,
        """
        ALTER TABLE turns ADD COLUMN resolved INTEGER NOT NULL DEFAULT 1
        """,
    ),
]


class Database:
    """One SQLite file; thread-local connections; migrations applied on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._migrated = False
        self._migrate_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailableError(f"cannot open the database {self.path}: {exc}; check the path is writable (AISLE_HOME)") from exc
        return conn

    def _thread_conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection, with the schema migrated."""
        conn = self._thread_conn()
        if not self._migrated:
            self.migrate()
        return conn

    def migrate(self) -> list[int]:
        """Apply pending migrations; returns the versions applied."""
        with self._migrate_lock:
            if self._migrated:
                return []
            conn = self._thread_conn()
            conn.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in conn.execute("SELECT version FROM migrations")}
            applied = []
            for version, sql in MIGRATIONS:
                if version in done:
                    continue
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    for statement in [s for s in sql.split(";") if s.strip()]:
                        conn.execute(statement)
                    conn.execute("INSERT INTO migrations VALUES (?, datetime('now'))", (version,))
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    conn.execute("ROLLBACK")
                    raise StoreUnavailableError(f"database migration {version} failed on {self.path}: {exc}") from exc
                applied.append(version)
                log.info("applied database migration %d", version)
            self._migrated = True
            return applied

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on error); write errors become clear errors."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"database {self.path} is unavailable: {exc}") from exc
        cur = conn.cursor()
        try:
            yield cur
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback(conn)  # SQLite may already have rolled back (e.g. SQLITE_FULL)
            raise StoreUnavailableError(f"could not save to {self.path}: {exc} (disk full or read-only?)") from exc
        except BaseException:
            self._rollback(conn)
            raise

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        try:
            return list(self.conn.execute(sql, params))
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"database query failed on {self.path}: {exc}") from exc

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
