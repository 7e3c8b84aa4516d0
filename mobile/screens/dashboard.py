"""The Life Room for supervisors (their agency) and admins (the whole city): complaint figures
of the last 90 days as cards and plain tables."""

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.gridlayout import MDGridLayout

from mobile.core.i18n import translator
from mobile.screens.content import ContentScreen
from mobile.widgets import Card
from shared.complaints import ComplaintStatus


class FigureCard(Card):
    value = StringProperty()
    label = StringProperty()


class FigureSection(MDBoxLayout):
    """A titled table: half a wide window, or (`wide`, for many columns) the whole width."""

    wide = BooleanProperty(False)


class FigureTable(MDGridLayout):
    """Rows of cells under a header row (catalogue keys `dashboard.<column>`); the first column
    is wider and left-aligned."""

    def __init__(self, columns: list[str], rows: list[list[str]], **kwargs) -> None:
        super().__init__(cols=len(columns), **kwargs)
        self.rows_shown = len(rows)
        header = [translator.t(f"dashboard.{column}") for column in columns]
        for row_number, row in enumerate([header, *rows]):
            for column, text in enumerate(row):
                self.add_widget(
                    Factory.TableCell(
                        text=text,
                        bold=row_number == 0,
                        halign="left" if column == 0 else "right",
                        size_hint_x=2 if column == 0 else 1,
                    )
                )


def number(value: float | None, decimals: int = 1) -> str:
    """A figure as people write it in the app's language ("2,5" in Indonesian); "–" if none."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    if translator.language == "id":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def share(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


class DashboardScreen(ContentScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.figures: dict | None = None
        self.agency: dict | None = None  # the agency shown; None: the whole city

    async def load(self) -> None:
        self.figures = await self.fetch(self.app.api.dashboard())
        code = self.figures and self.figures["agency_code"]
        self.agency = await self.fetch(self.app.api.agency(code)) if code else None

    def render(self) -> None:
        body = self.ids.body
        body.clear_widgets()
        figures = self.figures
        if figures is None:
            return
        t = translator.t
        add = body.add_widget
        scope = translator.pick(self.agency["name"]) if self.agency else t("dashboard.city")
        add(Factory.MDLabel(text=scope, font_style="H6", adaptive_height=True))
        period = figures["period"]
        start, end = translator.day(period["start"]), translator.day(period["end"])
        add(Factory.HintText(text=t("dashboard.period", start=start, end=end)))
        add(self._cards(figures["total"]))

        total = figures["total"]
        counts = total["by_status"]
        statuses = [[t(f"status.{s}"), str(counts[s])] for s in ComplaintStatus if counts.get(s)]
        weeks = [
            [translator.day(w["week_start"]), str(w["received"]), str(w["resolved"])]
            for w in figures["weeks"]
        ]
        categories = [
            [
                c["name"] or c["code"],
                str(c["received"]),
                str(c["resolved"]),
                share(c["on_time_share"]),
                number(c["median_working_days"]),
                str(c["overdue_now"]),
            ]
            for c in figures["by_category"]
        ]
        permits = [[p["name"], str(p["issued"])] for p in figures["permits_issued"]]
        category_header = ["category", "received", "resolved", "on_time", "median", "overdue"]
        # Side by side on a wide window, one under the other on a phone.
        sections = Factory.FigureSections()
        add(sections)
        for title, table, wide in (
            ("dashboard.by_status", FigureTable(["status", "count"], statuses), False),
            ("dashboard.weeks", FigureTable(["week", "received", "resolved"], weeks), False),
            ("dashboard.by_category", FigureTable(category_header, categories), True),
            ("dashboard.permits_issued", FigureTable(["permit_type", "issued"], permits), False),
        ):
            section = FigureSection(wide=wide)
            section.add_widget(Factory.SectionTitle(text=t(title)))
            shown = table if table.rows_shown else Factory.BodyText(text=t("common.none"))
            section.add_widget(shown)
            sections.add_widget(section)

    def _cards(self, total: dict) -> MDGridLayout:
        t = translator.t
        average = number(total["rating_average"])
        rating = t("dashboard.rating_of", average=average, count=total["ratings"])
        cards = [
            (str(total["received"]), t("dashboard.received")),
            (str(total["resolved"]), t("dashboard.resolved")),
            (share(total["on_time_share"]), t("dashboard.on_time")),
            (number(total["median_working_days"]), t("dashboard.median_days")),
            (number(total["p90_working_days"]), t("dashboard.p90_days")),
            (str(total["overdue_now"]), t("dashboard.overdue")),
            (rating if total["ratings"] else "–", t("dashboard.rating")),
        ]
        grid = Factory.FigureGrid()
        for value, label in cards:
            grid.add_widget(FigureCard(value=value, label=label))
        return grid
