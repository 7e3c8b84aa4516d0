"""Search across announcements, services, agencies and FAQs; results grouped by kind, each
opening its own screen."""

from kivy.factory import Factory
from kivymd.uix.list import TwoLineListItem

from mobile.core.i18n import translator
from mobile.screens.content import ContentScreen

# The kinds of result in the order their groups appear, and the screen each opens with its
# parameter (an FAQ opens the service it belongs to).
KINDS = {
    "service": ("service", "code"),
    "faq": ("service", "code"),
    "announcement": ("announcement", "id"),
    "agency": ("agency_detail", "code"),
}


class SearchScreen(ContentScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hits: list[dict] | None = None  # None: nothing asked yet

    def search(self) -> None:
        query = self.ids.query.text.strip()
        if query:
            self.open(query=query)

    async def load(self) -> None:
        query = self.params.get("query")
        if query:
            self.ids.query.text = query
            found = await self.fetch(self.app.api.search(query))
            if found is not None:
                self.hits = found["items"]

    def render(self) -> None:
        results = self.ids.results
        results.clear_widgets()
        if self.hits is None:
            return
        if not self.hits:
            results.add_widget(Factory.BodyText(text=translator.t("search.nothing")))
        for kind, (screen, key) in KINDS.items():
            hits = [hit for hit in self.hits if hit["kind"] == kind]
            if not hits:
                continue
            title = translator.t(f"search.kind.{kind}", count=len(hits))
            results.add_widget(Factory.SectionTitle(text=title))
            for hit in hits:
                results.add_widget(
                    TwoLineListItem(
                        text=hit["title"],
                        secondary_text=hit["summary"],
                        on_release=lambda _item, screen=screen, target={key: hit[key]}: (
                            self.app.show(screen, **target)
                        ),
                    )
                )
