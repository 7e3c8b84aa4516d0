"""The ``warga`` command: serve, migrate, load a region pack, create staff, install the demo."""

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlmodel import Session

from backend.config import get_settings

if TYPE_CHECKING:
    from backend.errors import Problem


def _session() -> Session:
    from backend.database import open_engine

    settings = get_settings()
    # Maintenance commands (a rebuild, a bulk generation) may run statements far longer than a
    # request's: no statement timeout here.
    options = replace(settings.engine_options(), statement_timeout_ms=0)
    return Session(open_engine(settings.database_url, options=options), expire_on_commit=False)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from backend.db import BudgetTooSmall, share_connection_budget

    settings = get_settings()
    if args.workers > 1 and settings.is_sqlite:
        print(
            "SQLite serves one process only: several workers would fight over its single "
            "writer lock. Run `warga serve` with one worker, or set WARGA_DATABASE_URL to "
            "PostgreSQL (postgresql+psycopg://...) to run several; see docs/deploy.md.",
            file=sys.stderr,
        )
        return 2
    try:
        pool_size, max_overflow = share_connection_budget(
            settings.db_connection_budget,
            workers=args.workers,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
    except BudgetTooSmall as error:
        print(error, file=sys.stderr)
        return 2
    # The workers read their settings from the environment they inherit.
    os.environ["WARGA_DB_POOL_SIZE"] = str(pool_size)
    os.environ["WARGA_DB_MAX_OVERFLOW"] = str(max_overflow)
    print(
        f"{args.workers} worker(s), each with up to {pool_size + max_overflow} database "
        f"connections and a change listener (budget {settings.db_connection_budget})",
        file=sys.stderr,
    )
    uvicorn.run(
        "backend.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        workers=args.workers,
        access_log=False,  # our middleware writes structured access logs with the request id
        proxy_headers=False,  # the app believes WARGA_TRUSTED_PROXIES itself (backend.main)
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from backend.migrations import upgrade

    upgrade(get_settings().database_url, args.revision)
    print(f"database at revision {args.revision}")
    return 0


def cmd_region_load(args: argparse.Namespace) -> int:
    from backend.information.catalogue import sync_catalogue
    from backend.region.pack import RegionPackError, load_pack_file
    from backend.region.service import load_pack

    try:
        pack = load_pack_file(args.path)
    except RegionPackError as error:
        print(error, file=sys.stderr)
        return 2
    if args.check:
        print(f"{args.path}: valid ({pack.region.code})")
        return 0
    with _session() as session:
        report = load_pack(session, pack=pack)
        sync_catalogue(session)  # the pack's new services, and its agencies re-indexed
        session.commit()
    print(f"loaded {pack.region.code}: {report}")
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    from backend.accounts.passwords import PasswordHashing
    from backend.accounts.schemas import StaffCreate
    from backend.accounts.service import create_staff
    from backend.errors import Problem

    password = args.password or os.environ.get("WARGA_NEW_USER_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("give --password or WARGA_NEW_USER_PASSWORD", file=sys.stderr)
            return 2
        password = getpass.getpass("Password: ")
    try:
        data = StaffCreate(
            full_name=args.name,
            email=args.email,
            phone=args.phone,
            password=password,
            role=args.role,
            agency_code=args.agency,
        )
        with _session() as session:
            user = create_staff(session, hashing=PasswordHashing(get_settings()), data=data)
            session.commit()
    except ValidationError as error:
        for item in error.errors():
            print(f"{'.'.join(map(str, item['loc']))}: {item['msg']}", file=sys.stderr)
        return 2
    except Problem as problem:
        print(problem.detail, file=sys.stderr)
        for field_error in problem.errors or []:
            print(f"  {field_error.field}: {field_error.message}", file=sys.stderr)
        return 2
    print(f"created {user.role} #{user.id} {user.email or user.phone}")
    return 0


def _print_problem(problem: "Problem") -> None:
    print(problem.detail, file=sys.stderr)
    for field_error in problem.errors or []:
        print(f"  {field_error.field}: {field_error.message}", file=sys.stderr)


def cmd_clients_create(args: argparse.Namespace) -> int:
    from backend.clients import service
    from backend.clients.schemas import ClientCreate
    from backend.errors import Problem

    try:
        data = ClientCreate(
            name=args.name,
            contact_email=args.contact,
            scopes=args.scopes.split(),
            agency=args.agency,
            rate_limit_per_minute=args.rate_limit,
        )
        with _session() as session:
            client, secret = service.create_client(session, data=data, created_by=None)
            session.commit()
            credentials = service.to_credentials(session, client, secret)
    except ValidationError as error:
        for item in error.errors():
            print(f"{'.'.join(map(str, item['loc']))}: {item['msg']}", file=sys.stderr)
        return 2
    except Problem as problem:
        _print_problem(problem)
        return 2
    if args.json:
        print(credentials.model_dump_json(indent=2))
        return 0
    print(f"client_id:     {credentials.client_id}")
    print(f"client_secret: {credentials.client_secret}   (shown once; also the Open311 api_key)")
    print(f"scopes:        {' '.join(credentials.scopes)}")
    return 0


def cmd_clients_list(args: argparse.Namespace) -> int:
    from backend.clients import service

    with _session() as session:
        rows = [service.to_read(session, c) for c in service.list_clients(session)]
    if args.json:
        print(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return 0
    for row in rows:
        state = "revoked" if row.revoked_at else "active"
        print(f"{row.client_id:26} {state:8} {row.name:30} {' '.join(row.scopes)}")
    return 0


def cmd_clients_rotate(args: argparse.Namespace) -> int:
    from backend.clients import service
    from backend.errors import Problem

    try:
        with _session() as session:
            client = service.get_client(session, client_id=args.client_id)
            client, secret = service.rotate_secret(session, client=client, settings=get_settings())
            session.commit()
            credentials = service.to_credentials(session, client, secret)
    except Problem as problem:
        _print_problem(problem)
        return 2
    if args.json:
        print(credentials.model_dump_json(indent=2))
    else:
        print(f"client_secret: {credentials.client_secret}")
        until = credentials.previous_secret_expires_at
        print(f"the old secret works until {until:%Y-%m-%d %H:%M} UTC")
    return 0


def cmd_clients_revoke(args: argparse.Namespace) -> int:
    from backend.clients import service
    from backend.errors import Problem

    try:
        with _session() as session:
            client = service.get_client(session, client_id=args.client_id)
            service.revoke(session, client=client)
            session.commit()
    except Problem as problem:
        _print_problem(problem)
        return 2
    print(f"revoked {args.client_id}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from backend.accounts.passwords import PasswordHashing
    from backend.demo import as_json_rows, install_demo

    with _session() as session:
        accounts = install_demo(session, hashing=PasswordHashing(get_settings()))
        session.commit()
    if args.json:
        print(json.dumps(as_json_rows(accounts), indent=2))
        return 0
    print("Demo accounts (username / password / role / agency):")
    for a in accounts:
        print(f"  {a.username:42} {a.password:20} {a.role:11} {a.agency or ''}")
    return 0


def cmd_complaints_close_expired(args: argparse.Namespace) -> int:
    from backend.complaints.service import close_expired

    with _session() as session:
        closed = close_expired(session)
        session.commit()
    print(f"closed {closed} resolved complaints whose reopen window had ended")
    return 0


def cmd_permits_daily(args: argparse.Namespace) -> int:
    from backend.permits.scheduled import run_daily

    with _session() as session:
        report = run_daily(session)
        session.commit()
    print(f"expired {report.expired} permits, sent {report.reminded} expiry reminders")
    return 0


def cmd_announcements_notify_due(args: argparse.Namespace) -> int:
    from backend.db import utcnow
    from backend.information.announcements import notify_due_announcements

    with _session() as session:
        announced = notify_due_announcements(session, now=utcnow())
        session.commit()
    print(f"told followers about {announced} newly published announcements")
    return 0


def cmd_jobs_run(args: argparse.Namespace) -> int:
    from backend.database import open_engine
    from backend.jobs import run_jobs

    settings = get_settings()
    engine = open_engine(settings.database_url, options=settings.engine_options())
    try:
        outcomes = run_jobs(engine, settings=settings)
    finally:
        engine.dispose()
    for outcome in outcomes:
        print(f"{outcome.job}: {outcome.report}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from backend.permits.signing import retired_keys_file, rotate

    settings = get_settings()
    old_kid, new_kid = rotate(settings)
    print(f"new certificate signing key {new_kid} in {settings.signing_key_file}")
    if old_kid:
        print(f"retired key {old_kid} stays published from {retired_keys_file(settings)}")
    print("copy both files to every host (docs/deploy.md)")
    return 0


def _progress_bar(total: int, width: int = 40) -> Callable[[int], None]:
    """A callback drawing `[#####.....]  45%  4500/10000` on stderr, redrawn in place."""

    def draw(done: int) -> None:
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        end = "\n" if done >= total else ""
        print(f"\r[{bar}] {done / total:4.0%} {done}/{total}", end=end, file=sys.stderr, flush=True)

    return draw


def cmd_complaints_generate(args: argparse.Namespace) -> int:
    from backend.complaints.generate import generate_complaints, generate_permit_applications

    with _session() as session:
        generate_complaints(
            session, count=args.count, seed=args.seed, on_progress=_progress_bar(args.count)
        )
        generate_permit_applications(session, count=args.permits, seed=args.seed)
        session.commit()
    print(f"generated {args.count} complaints and {args.permits} permit applications")
    return 0


def cmd_search_reindex(args: argparse.Namespace) -> int:
    from backend.information.search import reindex_search

    with _session() as session:
        count = reindex_search(session)
        session.commit()
    print(f"search index rebuilt: {count} items")
    return 0


def cmd_stats_rebuild(args: argparse.Namespace) -> int:
    from backend.stats.tallies import rebuild

    with _session() as session:
        rebuild(session)
        session.commit()
    print("Life Room tallies rebuilt from the complaint table")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="warga", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default=os.environ.get("WARGA_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("WARGA_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db_upgrade = db.add_parser("upgrade", help="apply migrations")
    db_upgrade.add_argument("revision", nargs="?", default="head")
    db_upgrade.set_defaults(handler=cmd_db_upgrade)

    region = commands.add_parser("region", help="region packs").add_subparsers(
        dest="region", required=True
    )
    region_load = region.add_parser("load", help="validate and load (or reload) a region pack")
    region_load.add_argument("path")
    region_load.add_argument("--check", action="store_true", help="validate only, load nothing")
    region_load.set_defaults(handler=cmd_region_load)

    users = commands.add_parser("users", help="accounts").add_subparsers(
        dest="users", required=True
    )
    users_create = users.add_parser("create", help="create a staff account")
    users_create.add_argument("--role", required=True, choices=["officer", "supervisor", "admin"])
    users_create.add_argument("--agency", help="agency code (officers and supervisors)")
    users_create.add_argument("--name", required=True)
    users_create.add_argument("--email")
    users_create.add_argument("--phone")
    users_create.add_argument("--password", help="prompted for when omitted")
    users_create.set_defaults(handler=cmd_users_create)

    announcements = commands.add_parser("announcements", help="announcements").add_subparsers(
        dest="announcements", required=True
    )
    notify_due = announcements.add_parser(
        "notify-due",
        help="tell followers about announcements whose publication time has come (run often)",
    )
    notify_due.set_defaults(handler=cmd_announcements_notify_due)

    complaints = commands.add_parser("complaints", help="complaints").add_subparsers(
        dest="complaints", required=True
    )
    close_expired = complaints.add_parser(
        "close-expired", help="close resolved complaints whose reopen window ended (run hourly)"
    )
    close_expired.set_defaults(handler=cmd_complaints_close_expired)
    generate = complaints.add_parser(
        "generate", help="add N realistic complaints in the loaded region (benchmarks, demos)"
    )
    generate.add_argument("count", type=int)
    generate.add_argument("--seed", type=int, default=2026)
    generate.add_argument(
        "--permits", type=int, default=0, help="also add this many submitted permit applications"
    )
    generate.set_defaults(handler=cmd_complaints_generate)

    stats = commands.add_parser("stats", help="the Life Room dashboard").add_subparsers(
        dest="stats", required=True
    )
    rebuild = stats.add_parser(
        "rebuild",
        help="recompute the dashboard's tallies from the complaints (after a bulk import)",
    )
    rebuild.set_defaults(handler=cmd_stats_rebuild)

    search = commands.add_parser("search", help="the search index").add_subparsers(
        dest="search", required=True
    )
    reindex = search.add_parser(
        "reindex", help="index everything again (after an upgrade that changed the stemmers)"
    )
    reindex.set_defaults(handler=cmd_search_reindex)

    permits = commands.add_parser("permits", help="permits").add_subparsers(
        dest="permits", required=True
    )
    permits_daily = permits.add_parser(
        "daily", help="expire lapsed permits and send expiry reminders (run daily; idempotent)"
    )
    permits_daily.set_defaults(handler=cmd_permits_daily)

    jobs = commands.add_parser("jobs", help="periodic jobs").add_subparsers(
        dest="jobs", required=True
    )
    jobs_run = jobs.add_parser(
        "run",
        help="run every periodic job once (from cron, every few minutes, on any or every host)",
    )
    jobs_run.set_defaults(handler=cmd_jobs_run)

    keys = commands.add_parser("keys", help="certificate signing keys").add_subparsers(
        dest="keys", required=True
    )
    keys_rotate = keys.add_parser(
        "rotate", help="make a new signing key; the old one stays published for verification"
    )
    keys_rotate.set_defaults(handler=cmd_keys_rotate)

    clients = commands.add_parser("clients", help="API clients (integrators)").add_subparsers(
        dest="clients", required=True
    )
    clients_create = clients.add_parser("create", help="register an API client")
    clients_create.add_argument("--name", required=True)
    clients_create.add_argument("--scopes", required=True, help='space-separated, e.g. "open311"')
    clients_create.add_argument("--agency", help="agency code: the client sees that agency only")
    clients_create.add_argument("--contact", help="the owner's email address")
    clients_create.add_argument("--rate-limit", type=int, default=600, help="requests per minute")
    clients_create.add_argument("--json", action="store_true", help="print the credentials as JSON")
    clients_create.set_defaults(handler=cmd_clients_create)
    clients_list = clients.add_parser("list", help="list API clients")
    clients_list.add_argument("--json", action="store_true")
    clients_list.set_defaults(handler=cmd_clients_list)
    clients_rotate = clients.add_parser("rotate", help="new secret; the old one works a while")
    clients_rotate.add_argument("client_id")
    clients_rotate.add_argument("--json", action="store_true")
    clients_rotate.set_defaults(handler=cmd_clients_rotate)
    clients_revoke = clients.add_parser("revoke", help="stop a client at once")
    clients_revoke.add_argument("client_id")
    clients_revoke.set_defaults(handler=cmd_clients_revoke)

    demo = commands.add_parser("demo", help="load the demo region and demo accounts")
    demo.add_argument("--json", action="store_true", help="print the accounts as JSON")
    demo.set_defaults(handler=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
