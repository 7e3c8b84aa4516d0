from mobile.screens.base import WargaScreen


class LoginScreen(WargaScreen):
    def submit(self) -> None:
        username = self.ids.username.text.strip()
        password = self.ids.password.text
        if username and password:
            self.app.spawn(self._login(username, password))

    async def _login(self, username: str, password: str) -> None:
        session = await self.run(self.app.api.login(username, password))
        if session is not None:
            self.ids.password.text = ""
            self.app.signed_in(session)
