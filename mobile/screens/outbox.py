"""Submissions made offline, waiting to be sent (or refused by the server, with the reason)."""

from kivymd.uix.list import ThreeLineListItem

from mobile.core.i18n import translator
from mobile.core.outbox import OutboxStatus
from mobile.screens.base import WargaScreen


class OutboxScreen(WargaScreen):
    async def send_now(self) -> None:
        result = await self.run(self.app.outbox.flush(self.app.api))
        self.app.count_waiting()
        self.render()  # the list first: the message below describes it, never an older one
        if result is not None and (result.sent or result.failed):
            self.confirm(
                translator.t(
                    "outbox.flushed", sent=result.sent, failed=result.failed, waiting=result.waiting
                )
            )

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        items = self.app.outbox.items(OutboxStatus.WAITING, OutboxStatus.FAILED)
        self.ids.empty.text = "" if items else translator.t("outbox.empty")
        for item in items:
            if item.status is OutboxStatus.FAILED:
                reason = translator.error(item.problem["code"])
                state = translator.t("outbox.failed", reason=reason)
            else:
                state = translator.t("outbox.waiting", attempts=item.attempts)
            listing.add_widget(
                ThreeLineListItem(
                    text=translator.t(f"outbox.kind.{item.kind}", title=item.title)
                    if item.kind
                    else f"{item.method} {item.path}",
                    secondary_text=state,
                    tertiary_text=translator.t(
                        "outbox.queued_at", time=translator.timestamp(item.created_at)
                    ),
                    on_release=lambda _w, item=item: self._discard_failed(item),
                )
            )

    def _discard_failed(self, item) -> None:
        if item.status is OutboxStatus.FAILED:
            self.app.outbox.discard(item.id)
            self.render()
