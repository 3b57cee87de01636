"""``aisle staff add|remove|list|audit``: the staff console's users and its audit log."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from aisle.cli._common import print_json
from aisle.errors import InputError

if TYPE_CHECKING:
    from aisle.settings import Settings
    from ui.auth import StaffAuth


def register(sub: argparse._SubParsersAction) -> None:
    st = sub.add_parser("staff", help="staff console users (scrypt-hashed passwords) and the audit log")
    ssub = st.add_subparsers(dest="what", required=True, metavar="ACTION")
    p = ssub.add_parser("add", help="create a user, or set a new password (ends their open sessions)")
    p.add_argument("user")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin (for scripts)")
    p.set_defaults(handler=_add)
    p = ssub.add_parser("remove", help="delete a user and end their sessions")
    p.add_argument("user")
    p.set_defaults(handler=_remove)
    p = ssub.add_parser("list", help="the users (and who may promote models: staff.promoters)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list)
    p = ssub.add_parser("audit", help="the audit log of console actions, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--user", help="only this user's actions")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_audit)


def _auth(settings: Settings) -> StaffAuth:
    from agent.db import Database, StaffRepository
    from ui.auth import StaffAuth
    from ui.keys import store_secret

    settings.ensure_dirs()
    return StaffAuth(StaffRepository(Database(settings.db_path)), store_secret(settings.home), settings.staff)


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in a container
        return "cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().removesuffix("\n")
    if not sys.stdin.isatty():
        raise InputError("no terminal to prompt for the password; pipe it in with --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InputError("the two passwords differ; nothing changed")
    return first


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from ui.auth import check_username

    auth = _auth(settings)
    user = check_username(args.user)
    password = _read_password(args.password_stdin)
    new = auth.add_user(user, password)
    auth.audit(_operator(), "staff_user_added" if new else "staff_password_changed", target=user)
    role = "may promote models" if auth.may_promote(user) else "may not promote models (add to staff.promoters to allow)"
    print(f"{'created' if new else 'updated'} staff user {user} ({role})")
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    auth = _auth(settings)
    if not auth.repo.remove_user(args.user):
        print(f"no staff user {args.user}")
        return 1
    auth.audit(_operator(), "staff_user_removed", target=args.user)
    print(f"removed staff user {args.user}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    auth = _auth(settings)
    users = [{**u, "may_promote": auth.may_promote(u["username"])} for u in auth.repo.users()]
    if args.json:
        print_json(users)
        return 0
    if not users:
        print("no staff users; create one with `aisle staff add USER`")
    for u in users:
        print(f"{u['username']:<24} since {u['created_at'][:19]}{'  (may promote models)' if u['may_promote'] else ''}")
    return 0


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    rows = _auth(settings).repo.audit_log(args.limit, args.user)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(
            f"{r['at'][:19]}  {r['username']:<16} {r['action']:<24} {r['target'] or ''}  {r['detail'] or ''}  {r['client'] or ''}".rstrip()
        )
    return 0
