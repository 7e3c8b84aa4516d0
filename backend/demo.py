"""The demo deployment: the demo region pack plus one account per role (and per agency)."""

from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlmodel import Session, col

from backend.accounts.models import User
from backend.accounts.passwords import PasswordHashing
from backend.db import utcnow
from backend.demo_accounts import DemoAccount, demo_accounts
from backend.information import announcements, catalogue
from backend.information.models import Announcement
from backend.information.schemas import AnnouncementCreate, FaqWrite
from backend.region import service as region_service
from backend.region.models import Agency
from backend.region.pack import RegionPack, load_pack_file
from shared.roles import Role

DEMO_PACK = Path(__file__).parent / "region" / "packs" / "demo.yaml"
DEMO_CONTENT = Path(__file__).parent / "demo_content.yaml"


@lru_cache(maxsize=1)
def demo_pack() -> RegionPack:
    """The parsed demo pack; parsed once per process (tests install the demo many times)."""
    return load_pack_file(DEMO_PACK)


def install_demo(
    session: Session, *, hashing: PasswordHashing, content: bool = True
) -> list[DemoAccount]:
    """Load the demo pack and create the demo accounts (and, with `content`, the demo's
    announcements and FAQs); running it again changes nothing."""
    region_service.load_pack(session, pack=demo_pack())
    catalogue.sync_catalogue(session)  # the pack's services, in the catalogue and its index
    agencies = {a.code: a.id for a in session.scalars(select(Agency).where(col(Agency.active)))}
    accounts = demo_accounts(sorted(agencies))
    existing = set(session.scalars(select(col(User.email))))
    for account in accounts:
        if account.username in existing:
            continue
        session.add(
            User(
                full_name=account.full_name,
                email=account.username,
                phone=account.phone,
                password_hash=hashing.hash(account.password),
                role=account.role,
                agency_id=agencies.get(account.agency) if account.agency else None,
            )
        )
    session.flush()
    if content:
        _publish_demo_content(session)
    return accounts


def _publish_demo_content(session: Session) -> None:
    """The demo's announcements (into an empty table) and FAQs (for services without any)."""
    content = yaml.safe_load(DEMO_CONTENT.read_text("utf-8"))
    now = utcnow()
    if session.scalar(select(col(Announcement.id)).limit(1)) is None:
        first_admin = select(User).where(col(User.role) == Role.ADMIN).order_by(col(User.id))
        admin = session.scalars(first_admin.limit(1)).one()
        for item in content["announcements"]:
            announcement = AnnouncementCreate(**item)
            announcements.create_announcement(session, user=admin, data=announcement, now=now)
    for service_code, faqs in content["faqs"].items():
        service = catalogue.get_service(session, code=service_code)
        if catalogue.faqs_by_service(session, [service.id]).get(service.id):
            continue
        for position, faq in enumerate(faqs):
            data = FaqWrite(**faq, position=position)
            catalogue.add_faq(session, service=service, data=data, now=now)


def as_json_rows(accounts: list[DemoAccount]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in asdict(a).items() if k in {"username", "password", "role", "agency"}}
        for a in accounts
    ]
