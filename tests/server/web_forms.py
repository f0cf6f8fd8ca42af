"""A signed-in person posting the back office's forms the way a browser does."""

from __future__ import annotations

import re
from typing import Any

import requests


class Browserless:
    """requests with the session cookie; every form post carries the page's CSRF token."""

    def __init__(self, url: str, session: requests.Session) -> None:
        self.url = url
        self.session = session

    def page(self, path: str, status: int = 200) -> str:
        answer = self.session.get(self.url + path, timeout=30)
        assert answer.status_code == status, (path, answer.status_code, answer.text[:400])
        return answer.text

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.page("/"))
        assert found
        return found.group(1)

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> requests.Response:
        return self.session.post(
            self.url + path,
            data={"csrf_token": self.csrf(), **data},
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )
