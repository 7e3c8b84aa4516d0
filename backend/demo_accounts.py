"""The demo accounts (one per role, and per agency for staff) with their published passwords.

Kept apart from ``backend.demo`` so that clients of a demo server (the app's screenshot mode,
benchmarks) can look them up without importing the backend.
"""

from dataclasses import dataclass

from shared.roles import Role

STAFF_DOMAIN = "harapanbaru.go.id"

RESIDENT_PASSWORD = "warga-demo-2026"
OFFICER_PASSWORD = "petugas-demo-2026"
SUPERVISOR_PASSWORD = "kepala-demo-2026"
ADMIN_PASSWORD = "admin-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    agency: str | None
    full_name: str
    phone: str | None = None


def demo_accounts(agency_codes: list[str]) -> list[DemoAccount]:
    accounts = [
        DemoAccount(
            "siti@example.com",
            RESIDENT_PASSWORD,
            Role.RESIDENT,
            None,
            "Siti Rahmawati",
            "+6281234567890",
        ),
        DemoAccount(
            "budi@example.com",
            RESIDENT_PASSWORD,
            Role.RESIDENT,
            None,
            "Budi Santoso",
            "+6285711112222",
        ),
        DemoAccount(f"admin@{STAFF_DOMAIN}", ADMIN_PASSWORD, Role.ADMIN, None, "Admin Diskominfo"),
    ]
    for code in agency_codes:
        slug = code.lower()
        accounts.append(
            DemoAccount(
                f"petugas.{slug}@{STAFF_DOMAIN}",
                OFFICER_PASSWORD,
                Role.OFFICER,
                code,
                f"Petugas {code}",
            )
        )
        accounts.append(
            DemoAccount(
                f"kepala.{slug}@{STAFF_DOMAIN}",
                SUPERVISOR_PASSWORD,
                Role.SUPERVISOR,
                code,
                f"Kepala {code}",
            )
        )
    return accounts
