"""kill -9 the server while turns and feedback are being written; restart; nothing acknowledged is lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.ui.conftest import free_port


def _serve(home: Path, port: int) -> subprocess.Popen:
    aisle = str(Path(sys.executable).parent / "aisle")
    env = {
        **os.environ,
        "AISLE_HOME": str(home),
        "AISLE_HTTP__TURNS_PER_SESSION_PER_MINUTE": "0",
    }  # 8 writers as fast as they can
    proc = subprocess.Popen(
        [aisle, "serve", "--port", str(port), "--no-staff"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("server did not start")


def _session(client: httpx.Client, url: str) -> str:
    r = client.post(f"{url}/api/session")
    r.raise_for_status()
    return r.json()["session"]


def _chat(client: httpx.Client, url: str, message: str, token: str) -> dict:
    r = client.post(f"{url}/api/chat", json={"session": token, "message": message})
    r.raise_for_status()
    return r.json()


def _feedback(client: httpx.Client, url: str, token: str, turn_id: int) -> int | None:
    r = client.post(f"{url}/api/feedback", json={"session": token, "turn_id": turn_id, "rating": -1})
    return r.json()["feedback_id"] if r.status_code == 200 else None


def test_kill_9_loses_no_acknowledged_record(store_settings, tmp_path: Path) -> None:
    import sqlite3

    home = tmp_path / "fault-home"
    shutil.copytree(store_settings.home, home, symlinks=True, ignore=shutil.ignore_patterns("*.db-wal", "*.db-shm"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(home, port)
    acked_turns: list[int] = []
    acked_feedback: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(i: int) -> None:
        with httpx.Client(timeout=30) as client:
            session = _session(client, url)
            n = 0
            while not stop.is_set():
                try:
                    reply = _chat(
                        client, url, ["coffee mug", "how long does delivery take?", "hello there"][n % 3] + f" #{n}", session
                    )
                    with lock:
                        acked_turns.append(reply["turn_id"])
                    fid = _feedback(client, url, session, reply["turn_id"])
                    if fid:
                        with lock:
                            acked_feedback.append(fid)
                except Exception:  # noqa: BLE001
                    return  # the server died mid-request: that request was never acknowledged
                n += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while len(acked_turns) < 30 and time.time() < deadline:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)  # while writes are in flight
    proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acked_turns) >= 30

    conn = sqlite3.connect(home / "aisle.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    turns = {r[0] for r in conn.execute("SELECT turn_id FROM turns")}
    feedback = {r[0] for r in conn.execute("SELECT feedback_id FROM feedback")}
    conn.close()
    assert set(acked_turns) <= turns
    assert set(acked_feedback) <= feedback

    proc = _serve(home, port)  # restart: the conversation resumes from SQLite
    try:
        with httpx.Client(timeout=60) as client:
            token = _session(client, url)
            first = _chat(client, url, "analog watch for men", token)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc = _serve(home, port)
        with httpx.Client(timeout=60) as client:
            after = _chat(client, url, "cheaper ones", token)  # the same token after a kill -9 and restart
        assert after["products"] and max(p["price"] for p in after["products"]) < min(p["price"] for p in first["products"])
    finally:
        proc.kill()
