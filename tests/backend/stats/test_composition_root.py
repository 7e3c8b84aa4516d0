"""A script that opens its engine through the composition root keeps the Life Room in step,
without importing anything for its side effect."""

import json
import subprocess
import sys

from sqlalchemy import func
from sqlmodel import select

from backend.stats.models import FiledTally
from tests.backend.complaints.complaint_helpers import complaint_body
from tests.live_server import REPO_ROOT

SCRIPT = """
import json, sys
from sqlmodel import Session, select
from backend.database import open_engine
from backend.accounts.models import User
from backend.complaints import service
from backend.complaints.schemas import ComplaintCreate

engine = open_engine(sys.argv[1])
with Session(engine) as session:
    reporter = session.scalar(select(User).where(User.email == sys.argv[2]))
    data = ComplaintCreate(**json.loads(sys.argv[3]))
    service.file_complaint(session, reporter=reporter, data=data)
    session.commit()
"""


def test_a_script_filing_through_the_root_is_counted_in_the_tallies(database_url, session, demo):
    subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            database_url,
            demo.resident.username,
            json.dumps(complaint_body()),
        ],
        cwd=REPO_ROOT,
        check=True,
    )
    filed = session.scalar(select(func.sum(FiledTally.complaints)))
    assert filed == 1
