"""Staff logins for the console: users, scrypt password hashes, cookie sessions, the audit log.

* Users are created with ``aisle staff add USER`` (the password is read from a prompt or
  stdin, never from the command line). Passwords are hashed with ``hashlib.scrypt``
  (n=2^14, r=8, p=1, 16 random bytes of salt per user).
* A login sets the ``aisle_staff`` cookie: a random id plus an HMAC signature, HttpOnly,
  ``SameSite=Strict``, limited to the console's path, expiring after
  ``staff.session_hours``. The database keeps only a hash of the id, so logging out,
  removing the user or changing the password ends the session at once, in every process.
* Failed logins are limited per client IP and per user name; every attempt, login,
  logout and console action is written to ``staff_audit`` (who, what, when, from where).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aisle.errors import AisleError, InputError
from ui.keys import derive
from ui.limits import LimitExceeded, RateLimiter

if TYPE_CHECKING:
    from agent.db import StaffRepository
    from aisle.settings import StaffSettings

log = logging.getLogger(__name__)
COOKIE = "aisle_staff"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class LoginError(AisleError):
    """Wrong user name or password (the message never says which)."""


def hash_password(password: str, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        again = hash_password(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(again.rsplit("$", 1)[1], digest)


_DUMMY_HASH = hash_password("not-a-real-password", b"\0" * 16)  # unknown users cost as much as known ones


def check_username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise InputError(
            "a staff user name is 1–64 characters: lowercase letters, digits and . _ - (starting with a letter or digit)"
        )
    return username


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a staff password needs at least {MIN_PASSWORD} characters")
    if password != password.strip() or "\n" in password:
        raise InputError("a staff password cannot start or end with spaces or contain line breaks")
    return password


@dataclass(frozen=True)
class StaffLogin:
    user: str
    cookie: str
    max_age_s: int


class StaffAuth:
    """Users, sessions and the audit log of the staff console (thread-safe)."""

    def __init__(self, repo: StaffRepository, secret: bytes, settings: StaffSettings) -> None:
        self.repo = repo
        self.settings = settings
        self._key = derive(secret, "staff-session")
        self._by_client = RateLimiter(settings.failed_logins_per_minute)
        self._by_user = RateLimiter(settings.failed_logins_per_minute)

    # --- users ------------------------------------------------------------------------------
    def add_user(self, username: str, password: str) -> bool:
        """Create the user, or set a new password (which ends their sessions); True when new."""
        return self.repo.put_user(check_username(username), hash_password(check_new_password(password)))

    def may_promote(self, user: str | None) -> bool:
        return bool(user) and user in self.settings.promoters

    # --- sessions ---------------------------------------------------------------------------
    def _sign(self, rid: str) -> str:
        return hmac.new(self._key, rid.encode("ascii"), hashlib.sha256).hexdigest()

    @staticmethod
    def _stored(rid: str) -> str:
        return hashlib.sha256(rid.encode("ascii")).hexdigest()

    def login(self, username: str, password: str, client: str) -> StaffLogin:
        """Check the password and open a session, or raise ``LoginError`` / ``LimitExceeded``."""
        name = (username or "").strip().lower()[:64]
        wait = max(self._by_client.wait(client), self._by_user.wait(name))
        if wait:  # refused before the password is even checked
            self.audit("-", "login_throttled", target=_printable(name), client=client)
            raise LimitExceeded("rate_limited", f"too many failed logins; try again in {int(wait) + 1} s", int(wait) + 1)
        stored = self.repo.password_hash(name) if USERNAME_RE.match(name) else None
        ok = check_password(password or "", stored or _DUMMY_HASH) and stored is not None
        if not ok:
            self._by_client.hit(client)
            self._by_user.hit(name)
            self.audit("-", "login_failed", target=_printable(name), client=client)
            raise LoginError("wrong user name or password")
        rid = secrets.token_urlsafe(32)
        max_age = int(self.settings.session_hours * 3600)
        expires = (datetime.now(UTC) + timedelta(seconds=max_age)).isoformat(timespec="milliseconds")
        self.repo.open_session(self._stored(rid), name, expires)
        self.audit(name, "login", client=client)
        return StaffLogin(name, f"{rid}.{self._sign(rid)}", max_age)

    def user_for(self, cookie: str | None) -> str | None:
        """The logged-in user of a cookie value, or None (unsigned, unknown, expired or revoked)."""
        if not cookie or len(cookie) > 200 or "." not in cookie:
            return None
        rid, sig = cookie.rsplit(".", 1)
        if not hmac.compare_digest(sig, self._sign(rid)):
            return None
        try:
            return self.repo.session_user(self._stored(rid))
        except AisleError as exc:
            log.error("cannot check a staff session: %s", exc)
            return None

    def logout(self, cookie: str | None, client: str) -> None:
        user = self.user_for(cookie)
        if user and cookie:
            self.repo.close_session(self._stored(cookie.rsplit(".", 1)[0]))
            self.audit(user, "logout", client=client)

    # --- audit --------------------------------------------------------------------------------
    def audit(
        self, user: str, action: str, target: str | None = None, detail: str | None = None, client: str | None = None
    ) -> None:
        """Write one audit row. Raises ``StoreUnavailableError`` when it cannot: console actions are
        audited *before* they change anything, so an action that cannot be audited does not happen."""
        self.repo.audit(user, action, target, detail, client)


def _printable(text: str) -> str:
    return re.sub(r"[^\x20-\x7e]", "?", text)[:64]
