"""The screen registry: each screen is a module plus a `.kv` file, loaded when first opened.

A new screen plugs in with one line here.
"""

from importlib import import_module
from pathlib import Path

from kivy.lang import Builder

_HERE = Path(__file__).parent

# name -> class name; the module is mobile/screens/<name>.py, its rules in <name>.kv.
SCREENS = {
    "login": "LoginScreen",
    "register": "RegisterScreen",
    "home": "HomeScreen",
    "agencies": "AgenciesScreen",
    "agency_detail": "AgencyDetailScreen",
    "permit_types": "PermitTypesScreen",
    "permit_type": "PermitTypeScreen",
    "permit_apply": "PermitApplyScreen",
    "my_permits": "MyPermitsScreen",
    "permit_application": "PermitApplicationScreen",
    "permit_queue": "PermitQueueScreen",
    "complaint_categories": "ComplaintCategoriesScreen",
    "complaint_form": "ComplaintFormScreen",
    "complaint_sent": "ComplaintSentScreen",
    "location_picker": "LocationPickerScreen",
    "reports_map": "ReportsMapScreen",
    "my_complaints": "MyComplaintsScreen",
    "complaint": "ComplaintScreen",
    "complaint_queue": "ComplaintQueueScreen",
    "settings": "SettingsScreen",
    "outbox": "OutboxScreen",
    "notifications": "NotificationsScreen",
    "announcements": "AnnouncementsScreen",
    "announcement": "AnnouncementScreen",
    "services": "ServicesScreen",
    "service": "ServiceScreen",
    "search": "SearchScreen",
    "dashboard": "DashboardScreen",
}

_loaded: set[str] = set()


def ensure_loaded(name: str):
    """Import a screen's module and load its kv rules (once); return the module."""
    module = import_module(f"{__name__}.{name}")
    if name not in _loaded:
        Builder.load_file(str(_HERE / f"{name}.kv"))
        _loaded.add(name)
    return module


def create(name: str):
    module = ensure_loaded(name)
    return getattr(module, SCREENS[name])(name=name)
