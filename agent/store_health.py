"""A store that vanished is an alarm, not an empty store.

At setup (and whenever orders are loaded) the store gets an identity: a random id written
both to ``AISLE_HOME/store.json`` and to the ``store_identity`` table, with a note that the
store has orders. Before an order lookup the agent checks, cheaply, that

* ``aisle.db`` still exists and is the same file it opened (not deleted or swapped while serving);
* the file carries the identity in ``store.json`` (not another store's file, nor a fresh empty one);
* a store that had orders still has some.

If not, order lookups answer degraded ("I can't look up orders right now…") instead of
"details don't match", the miss is not counted as a failed verification, and staff are told
loudly: ``log.error`` and :func:`store_health`, which the staff console and ``aisle doctor``
can show. A store without ``store.json`` (made before this check existed) is adopted the
first time it is seen with orders.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.db import Database, OrderRepository, StoreIdentityRepository, inspect_file, now_iso
from agent.privacy import StoreSecret
from aisle.errors import StoreUnavailableError

if TYPE_CHECKING:
    from collections.abc import Callable

    from aisle.settings import Settings

log = logging.getLogger(__name__)

MARKER_FILE = "store.json"
ALARM_EVERY_S = 60.0


@dataclass(frozen=True)
class StoreHealth:
    """What staff see: ``ok``, else which problem (``missing`` | ``replaced`` | ``emptied``) and what to do."""

    ok: bool
    problem: str | None = None
    detail: str = ""
    checked_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _marker_path(home: Path) -> Path:
    return Path(home) / MARKER_FILE


def read_marker(home: Path) -> dict[str, Any] | None:
    try:
        return json.loads(_marker_path(home).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.error("store marker %s is unreadable (%s): treating the store as replaced", _marker_path(home), exc)
        return {"store_id": "unreadable", "has_orders": True}


def _write_marker(home: Path, marker: dict[str, Any]) -> None:
    path = _marker_path(home)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:  # missing, or a parent that is not a directory: no file there
        return None
    return (st.st_dev, st.st_ino)


def mark_store(settings: Settings, db: Database | None = None) -> str:
    """Give the store its identity (idempotent) and note whether it has orders; returns the store id.

    Called at setup and whenever orders are loaded (an explicit owner action, so it also
    re-adopts a store file the owner replaced on purpose and reloaded).
    """
    db = db or Database(settings.db_path)
    StoreSecret.load_or_create(settings.home)  # the per-store secret is made with the store, never a default
    repo = StoreIdentityRepository(db)
    marker = read_marker(settings.home)
    store_id = (marker or {}).get("store_id") if marker and marker.get("store_id") != "unreadable" else None
    store_id = store_id or repo.get() or uuid.uuid4().hex
    repo.put(store_id)
    orders = OrderRepository(db).count()
    has_orders = orders > 0 or bool((marker or {}).get("has_orders") and (marker or {}).get("store_id") == store_id)
    _write_marker(
        settings.home,
        {
            "store_id": store_id,
            "created_at": (marker or {}).get("created_at") or now_iso(),
            "has_orders": has_orders,
            "db": settings.db_path.name,
        },
    )
    return store_id


def store_health(settings: Settings, opened_inode: tuple[int, int] | None = None, db_path: Path | None = None) -> StoreHealth:
    """Is the order store the one this home was set up with, with its orders? (Never creates or changes it.)

    ``db_path`` is the file actually served when it is not ``settings.db_path`` (tests, tools); the
    home's marker describes only ``settings.db_path``, so such a file is checked for vanishing only.
    """
    at = now_iso()
    path = Path(db_path or settings.db_path)
    own = path.resolve() == Path(settings.db_path).resolve()
    marker = read_marker(settings.home) if own else None
    inode = _inode(path)
    if inode is None:
        if marker is None and opened_inode is None:
            return StoreHealth(True, None, "no store yet (run `aisle setup`)", at)
        return StoreHealth(
            False, "missing", f"{path} has disappeared; restore it from a backup, or run `aisle setup` to start a new store", at
        )
    if opened_inode is not None and inode != opened_inode:
        return StoreHealth(
            False, "replaced", f"{path} was replaced while the server was running; restart the server after checking the file", at
        )
    try:
        store_id, orders = inspect_file(path)
    except StoreUnavailableError as exc:
        return StoreHealth(False, "unreadable", str(exc), at)
    if marker is None:
        return StoreHealth(True, None, f"{orders} orders (store not marked yet)", at)
    if store_id != marker.get("store_id"):
        return StoreHealth(
            False,
            "replaced",
            f"{path} is not the store set up in {settings.home} (its identity does not match "
            f"{MARKER_FILE}); restore the right file, or reload orders with `aisle ingest orders`",
            at,
        )
    if marker.get("has_orders") and orders == 0:
        return StoreHealth(False, "emptied", f"{path} had orders and now has none; restore it from a backup", at)
    return StoreHealth(True, None, f"{orders} orders", at)


class StoreGuard:
    """The agent's view of :func:`store_health`: remembers the file it opened and raises the alarm once a minute."""

    def __init__(self, settings: Settings, db: Database, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self._opened = _inode(db.path)
        self._last_alarm = -ALARM_EVERY_S
        self._lock = threading.Lock()
        self.last: StoreHealth | None = None

    def adopt(self) -> None:
        """Mark an unmarked store that has orders (stores created before the check existed)."""
        own = Path(self.db.path).resolve() == Path(self.settings.db_path).resolve()
        if own and read_marker(self.settings.home) is None and self._opened is not None:
            try:
                if OrderRepository(self.db).count() > 0:
                    mark_store(self.settings, self.db)
            except StoreUnavailableError as exc:
                log.error("could not mark the store: %s", exc)
        self._opened = _inode(self.db.path)

    def check(self) -> StoreHealth:
        health = store_health(self.settings, self._opened, self.db.path)
        if self._opened is None and health.ok:
            self._opened = _inode(self.db.path)
        self.last = health
        if not health.ok:
            with self._lock:
                now = self.clock()
                if now - self._last_alarm >= ALARM_EVERY_S:
                    self._last_alarm = now
                    log.error(
                        "ORDER STORE ALARM (%s): %s. Order lookups are refused until it is fixed.", health.problem, health.detail
                    )
        return health
