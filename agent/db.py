"""SQLite (WAL) for orders, sessions, turns, feedback, actions and handoffs.

The schema is a list of ordered migrations, each applied once and recorded in
``migrations`` (like simonw/llm). Connections are per thread, in WAL mode with
``synchronous=NORMAL`` (durable across process crashes; an OS crash may lose the last
transactions, never corrupt the file) and a busy timeout, so the chat server's worker
threads and a CLI command can use the same file at once. Every multi-row change happens in
one transaction (``with db.transaction() as cur``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    (
        4,
        """
        CREATE TABLE staff_users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE staff_sessions (
            session_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES staff_users(username) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE staff_audit (
            audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT,
            detail TEXT,
            client TEXT
        );
        CREATE INDEX staff_audit_at ON staff_audit(at)
        """,
    ),
    (
        5,
        """
        CREATE TABLE security_counters (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            window_start REAL NOT NULL,
            locked_until REAL NOT NULL DEFAULT 0,
            lockouts INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL,
            PRIMARY KEY (scope, key)
        );
        CREATE TABLE store_identity (
            store_id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        );
        ALTER TABLE review_items ADD COLUMN reviewed_by TEXT
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
            raise StoreUnavailableError(
                f"cannot open the database {self.path}: {exc}; check the path is writable (AISLE_HOME)"
            ) from exc
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


# --- repositories: the only SQL outside the migrations ----------------------------------------------
# Writes that must commit together with others (the turn, its session state and its handoff)
# take the caller's cursor from ``Database.transaction()``; the rest open their own.


def now_iso() -> str:
    """UTC now, ISO 8601 with milliseconds: the format of every ``created_at`` column."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SessionRepository:
    """``sessions``: one JSON state per conversation."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def load_json(self, session_id: str) -> str | None:
        rows = self.db.query("SELECT state_json FROM sessions WHERE session_id = ?", (session_id,))
        return rows[0]["state_json"] if rows else None

    def exists(self, session_id: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM sessions WHERE session_id = ?", (session_id,)))

    @staticmethod
    def save(cur: sqlite3.Cursor, session_id: str, state_json: str) -> None:
        ts = now_iso()
        cur.execute(
            "INSERT INTO sessions(session_id, created_at, updated_at, state_json) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(session_id) DO UPDATE SET updated_at = excluded.updated_at, state_json = excluded.state_json",
            (session_id, ts, ts, state_json),
        )


TURN_COLUMNS = (
    "user_text", "reply_text", "intent", "confidence", "is_oos", "top_k_json", "slots_json", "product_ids_json", "citation_ids_json",
    "action", "handoff", "handoff_reason", "latency_ms", "model_version", "degraded", "text_hash", "resolved",
)  # fmt: skip


class TurnLog:
    """``turns``: the redacted conversation log."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def append(cur: sqlite3.Cursor, session_id: str, values: Mapping[str, Any]) -> int:
        """Insert one turn (``values`` keyed by ``TURN_COLUMNS``) as the session's next; returns its ``turn_id``."""
        unknown = set(values) - set(TURN_COLUMNS)
        if unknown:
            raise ValueError(f"unknown turn column(s) {sorted(unknown)}")
        idx = cur.execute("SELECT COALESCE(MAX(idx), 0) + 1 FROM turns WHERE session_id = ?", (session_id,)).fetchone()[0]
        cols = ["session_id", "idx", "created_at", *values]
        cur.execute(
            f"INSERT INTO turns({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            (session_id, idx, now_iso(), *values.values()),
        )
        return int(cur.lastrowid or 0)

    @staticmethod
    def transcript(cur: sqlite3.Cursor, session_id: str, last: int = 10) -> list[dict[str, str]]:
        """The last ``last`` exchanges, oldest first, as ``{user, agent}``."""
        rows = cur.execute(
            "SELECT user_text, reply_text FROM turns WHERE session_id = ? ORDER BY idx DESC LIMIT ?", (session_id, last)
        ).fetchall()
        return [{"user": r[0], "agent": r[1]} for r in reversed(rows)]

    def last(self, session_id: str) -> sqlite3.Row | None:
        rows = self.db.query("SELECT * FROM turns WHERE session_id = ? ORDER BY idx DESC LIMIT 1", (session_id,))
        return rows[0] if rows else None

    def session_of(self, turn_id: int) -> str | None:
        rows = self.db.query("SELECT session_id FROM turns WHERE turn_id = ?", (turn_id,))
        return rows[0]["session_id"] if rows else None

    def history(self, session_id: str) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT turn_id, created_at, user_text, reply_text, intent, confidence, handoff FROM turns WHERE session_id = ? ORDER BY idx",
            (session_id,),
        )
        return [dict(r) for r in rows]

    @staticmethod
    def unresolved_before(cur: sqlite3.Cursor, session_id: str, turn_id: int, oos_label: str, below: float) -> list[sqlite3.Row]:
        """The session's turns up to ``turn_id`` that look misrouted: out of scope, below ``below`` confidence, or unresolved."""
        return cur.execute(
            "SELECT * FROM turns WHERE session_id = ? AND turn_id <= ? AND (intent = ? OR confidence < ? OR resolved = 0) AND intent != 'empty'",
            (session_id, turn_id, oos_label, below),
        ).fetchall()

    def since(self, since: str) -> list[sqlite3.Row]:
        """The turns logged at or after ``since`` (an ISO time; ``""`` for all), for analytics."""
        return self.db.query(
            "SELECT session_id, intent, confidence, latency_ms, handoff, handoff_reason, resolved, user_text, action FROM turns WHERE created_at >= ?",
            (since,),
        )


class FeedbackRepository:
    """``feedback``: 👍/👎 on turns, with an optional intent correction and comment."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, turn_id: int, session_id: str, rating: int, correction: str | None, comment: str | None) -> int:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO feedback(turn_id, session_id, created_at, rating, correction, comment) VALUES (?,?,?,?,?,?)",
                (turn_id, session_id, now_iso(), rating, correction, comment),
            )
            return int(cur.lastrowid or 0)

    def rating_counts(self, since: str) -> dict[int, int]:
        rows = self.db.query("SELECT rating, COUNT(*) AS n FROM feedback WHERE created_at >= ? GROUP BY rating", (since,))
        return {int(r["rating"]): int(r["n"]) for r in rows}

    @staticmethod
    def with_turns(cur: sqlite3.Cursor, since: str) -> list[sqlite3.Row]:
        """Feedback since ``since`` joined with its turn (``rating``, ``correction``, ``fb_at`` and every turn column)."""
        return cur.execute(
            "SELECT f.rating, f.correction, f.created_at AS fb_at, t.* FROM feedback f JOIN turns t USING(turn_id) "
            "WHERE f.created_at >= ? ORDER BY f.feedback_id",
            (since,),
        ).fetchall()


class HandoffRepository:
    """``handoffs``: the human queue."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def open(cur: sqlite3.Cursor, session_id: str, turn_id: int, reason: str, summary_json: str, transcript_json: str) -> int:
        cur.execute(
            "INSERT INTO handoffs(created_at, session_id, turn_id, reason, summary, transcript, status) VALUES (?,?,?,?,?,?, 'open')",
            (now_iso(), session_id, turn_id, reason, summary_json, transcript_json),
        )
        return int(cur.lastrowid or 0)

    def list(self, status: str | None = "open", limit: int = 100) -> list[sqlite3.Row]:
        sql = "SELECT * FROM handoffs" + (" WHERE status = ?" if status else "") + " ORDER BY handoff_id DESC LIMIT ?"
        return self.db.query(sql, (status, limit) if status else (limit,))

    def close(self, handoff_id: int) -> bool:
        with self.db.transaction() as cur:
            cur.execute("UPDATE handoffs SET status='closed' WHERE handoff_id = ? AND status='open'", (handoff_id,))
            return cur.rowcount > 0

    @staticmethod
    def since_for_reasons(cur: sqlite3.Cursor, since: str, reasons: Sequence[str]) -> list[sqlite3.Row]:
        return cur.execute(
            f"SELECT session_id, turn_id FROM handoffs WHERE created_at >= ? AND reason IN ({','.join('?' * len(reasons))})",
            (since, *reasons),
        ).fetchall()


class StaffRepository:
    """``staff_users``, ``staff_sessions`` and ``staff_audit``: the console's logins and its audit log.

    Passwords arrive already hashed (``ui/auth.py``); sessions are stored as a hash of the
    cookie's random id, so a copy of the database does not hold usable logins.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def put_user(self, username: str, password_hash: str) -> bool:
        """Create or update a user; returns True when the user is new."""
        ts = now_iso()
        with self.db.transaction() as cur:
            existed = cur.execute("SELECT 1 FROM staff_users WHERE username = ?", (username,)).fetchone() is not None
            cur.execute(
                "INSERT INTO staff_users(username, password_hash, created_at, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
                (username, password_hash, ts, ts),
            )
            if existed:  # a new password ends the user's open sessions
                cur.execute("DELETE FROM staff_sessions WHERE username = ?", (username,))
            return not existed

    def password_hash(self, username: str) -> str | None:
        rows = self.db.query("SELECT password_hash FROM staff_users WHERE username = ?", (username,))
        return rows[0]["password_hash"] if rows else None

    def users(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.query("SELECT username, created_at, updated_at FROM staff_users ORDER BY username")]

    def remove_user(self, username: str) -> bool:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM staff_sessions WHERE username = ?", (username,))
            cur.execute("DELETE FROM staff_users WHERE username = ?", (username,))
            return cur.rowcount > 0

    def open_session(self, session_hash: str, username: str, expires_at: str) -> None:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM staff_sessions WHERE expires_at < ?", (now_iso(),))
            cur.execute(
                "INSERT INTO staff_sessions(session_hash, username, created_at, expires_at) VALUES (?,?,?,?)",
                (session_hash, username, now_iso(), expires_at),
            )

    def session_user(self, session_hash: str) -> str | None:
        """The user of an unexpired session, else None."""
        rows = self.db.query(
            "SELECT username FROM staff_sessions WHERE session_hash = ? AND expires_at > ?", (session_hash, now_iso())
        )
        return rows[0]["username"] if rows else None

    def close_session(self, session_hash: str) -> None:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM staff_sessions WHERE session_hash = ?", (session_hash,))

    def audit(
        self, username: str, action: str, target: str | None = None, detail: str | None = None, client: str | None = None
    ) -> int:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO staff_audit(at, username, action, target, detail, client) VALUES (?,?,?,?,?,?)",
                (now_iso(), username, action, target, detail, client),
            )
            return int(cur.lastrowid or 0)

    def audit_log(self, limit: int = 200, username: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM staff_audit" + (" WHERE username = ?" if username else "") + " ORDER BY audit_id DESC LIMIT ?"
        return [dict(r) for r in self.db.query(sql, (username, limit) if username else (limit,))]


class SecurityCounters:
    """``security_counters``: failures and lockouts per ``(scope, key)``, shared by every process on the store.

    Scopes: ``verify_order`` (key: the order id), ``verify_client`` (key: a keyed digest of the
    client), ``feedback_session`` / ``feedback_client``. Reads and writes take the caller's
    cursor, so a check, the guarded work and the increment commit in one ``BEGIN IMMEDIATE``
    transaction: two processes cannot both pass the same check.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def read(cur: sqlite3.Cursor, scope: str, key: str) -> sqlite3.Row | None:
        return cur.execute("SELECT * FROM security_counters WHERE scope = ? AND key = ?", (scope, key)).fetchone()

    @staticmethod
    def write(
        cur: sqlite3.Cursor,
        scope: str,
        key: str,
        failures: int,
        window_start: float,
        locked_until: float,
        lockouts: int,
        now: float,
    ) -> None:
        cur.execute(
            "INSERT INTO security_counters(scope, key, failures, window_start, locked_until, lockouts, updated_at) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(scope, key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, "
            "locked_until = excluded.locked_until, lockouts = excluded.lockouts, updated_at = excluded.updated_at",
            (scope, key, failures, window_start, locked_until, lockouts, now),
        )

    @staticmethod
    def clear(cur: sqlite3.Cursor, scope: str, key: str) -> None:
        cur.execute("DELETE FROM security_counters WHERE scope = ? AND key = ?", (scope, key))

    def locked(self, now: float) -> list[dict[str, Any]]:
        """Keys locked at ``now`` (for staff)."""
        rows = self.db.query(
            "SELECT scope, key, locked_until, lockouts FROM security_counters WHERE locked_until > ? ORDER BY locked_until DESC",
            (now,),
        )
        return [dict(r) for r in rows]


def inspect_file(path: Path) -> tuple[str | None, int]:
    """(store id, number of orders) of the SQLite file at ``path``, read-only: never creates, migrates or locks it.

    For the store-health check (``agent/store_health.py``): the file the agent serves may have
    been deleted or replaced, and a normal connection would silently create an empty one.
    """
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise StoreUnavailableError(f"cannot open {path} read-only: {exc}") from exc
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        store_id = None
        if "store_identity" in tables:
            row = conn.execute("SELECT store_id FROM store_identity ORDER BY created_at LIMIT 1").fetchone()
            store_id = row[0] if row else None
        orders = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] if "orders" in tables else 0
        return store_id, int(orders)
    except sqlite3.Error as exc:
        raise StoreUnavailableError(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()


class StoreIdentityRepository:
    """``store_identity``: the id of the store this file belongs to (matched against ``AISLE_HOME/store.json``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self) -> str | None:
        rows = self.db.query("SELECT store_id FROM store_identity ORDER BY created_at LIMIT 1")
        return rows[0]["store_id"] if rows else None

    def put(self, store_id: str) -> None:
        with self.db.transaction() as cur:
            cur.execute("INSERT OR IGNORE INTO store_identity(store_id, created_at) VALUES (?, ?)", (store_id, now_iso()))


ORDER_COLUMNS = (
    "order_id", "email", "name", "status", "items_json", "placed_at", "shipped_at", "delivered_at", "carrier", "tracking_number", "total", "currency",
)  # fmt: skip


class OrderRepository:
    """``orders``: the store's orders (rows; ``agent/orders.py`` turns them into ``Order``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, order_id: str) -> sqlite3.Row | None:
        rows = self.db.query("SELECT * FROM orders WHERE order_id = ?", (order_id,))
        return rows[0] if rows else None

    @staticmethod
    def get_for_update(cur: sqlite3.Cursor, order_id: str) -> sqlite3.Row | None:
        """The row inside the caller's (``BEGIN IMMEDIATE``) transaction, so a check and its update cannot interleave."""
        return cur.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()

    @staticmethod
    def upsert(cur: sqlite3.Cursor, values: Mapping[str, Any]) -> bool:
        """Insert or update one order (``values`` keyed by ``ORDER_COLUMNS``); returns True when it is new."""
        if set(values) != set(ORDER_COLUMNS):
            raise ValueError(f"an order row needs exactly {ORDER_COLUMNS}")
        exists = cur.execute("SELECT 1 FROM orders WHERE order_id = ?", (values["order_id"],)).fetchone() is not None
        cols = [*ORDER_COLUMNS, "updated_at"]
        updates = ", ".join(f"{c}=excluded.{c}" for c in cols if c != "order_id")
        cur.execute(
            f"INSERT INTO orders({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) ON CONFLICT(order_id) DO UPDATE SET {updates}",
            (*(values[c] for c in ORDER_COLUMNS), now_iso()),
        )
        return not exists

    @staticmethod
    def mark_cancelled(cur: sqlite3.Cursor, order_id: str) -> None:
        """Cancelled and refunded in full."""
        ts = now_iso()
        cur.execute(
            "UPDATE orders SET status='cancelled', refund_status='issued', refund_amount=total, refund_issued_at=?, updated_at=? WHERE order_id=?",
            (ts, ts, order_id),
        )

    @staticmethod
    def mark_return_requested(cur: sqlite3.Cursor, order_id: str) -> None:
        ts = now_iso()
        cur.execute(
            "UPDATE orders SET return_status='requested', return_requested_at=?, refund_status='pending_return', updated_at=? WHERE order_id=?",
            (ts, ts, order_id),
        )

    def count(self) -> int:
        return int(self.db.query("SELECT COUNT(*) AS n FROM orders")[0]["n"])

    def contacts(self) -> list[sqlite3.Row]:
        """``email, name, tracking_number`` of every order (the abuse eval checks none of them leaks)."""
        return self.db.query("SELECT email, name, tracking_number FROM orders")

    def credentials(self) -> list[sqlite3.Row]:
        """``order_id, email`` of every order, by id (benchmarks drive verified order turns with them)."""
        return self.db.query("SELECT order_id, email FROM orders ORDER BY order_id")


class ActionLog:
    """``actions``: every order action the agent took or refused, and every verification."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def record(
        cur: sqlite3.Cursor, action: str, outcome: str, order_id: str | None, session_id: str | None, detail: Mapping[str, Any]
    ) -> None:
        cur.execute(
            "INSERT INTO actions(created_at, session_id, order_id, action, outcome, detail) VALUES (?,?,?,?,?,?)",
            (now_iso(), session_id, order_id, action, outcome, json.dumps(dict(detail))),
        )

    def list(self, order_id: str | None = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM actions" + (" WHERE order_id = ?" if order_id else "") + " ORDER BY action_id"
        return self.db.query(sql, (order_id,) if order_id else ())


class ReviewItems:
    """``review_items``: the learning loop's queue of training candidates (``agent/learning.py``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def add(cur: sqlite3.Cursor, turn: sqlite3.Row, reason: str, suggested: str | None, status: str, provenance_json: str) -> int:
        """Queue a turn once per reason (a second ``add`` is ignored); returns 1 when added, else 0."""
        accepted = status == "accepted"
        cur.execute(
            """INSERT OR IGNORE INTO review_items(created_at, turn_id, text, predicted, suggested, reason, status, final_label, reviewed_at, provenance_json)
               VALUES (?,?,?,?,?,?,?,?,?,?)""",
            (now_iso(), turn["turn_id"], turn["user_text"], turn["intent"], suggested, reason, status,
             suggested if accepted else None, now_iso() if accepted else None, provenance_json),
        )  # fmt: skip
        return cur.rowcount

    def list(self, status: str | None = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM review_items" + (" WHERE status = ?" if status else "") + " ORDER BY item_id"
        return self.db.query(sql, (status,) if status else ())

    def get(self, item_id: int) -> sqlite3.Row | None:
        rows = self.db.query("SELECT * FROM review_items WHERE item_id = ?", (item_id,))
        return rows[0] if rows else None

    def decide(self, item_id: int, status: str, final_label: str | None, reviewer: str) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE review_items SET status=?, final_label=?, reviewed_at=?, reviewed_by=? WHERE item_id=?",
                (status, final_label, now_iso(), reviewer, item_id),
            )
