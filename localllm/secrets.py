"""``Credentials``: what a client sends to prove who it is, and so what it must never show.

The API key goes out as a bearer token; a URL's userinfo (``http://user:pw@host``) is taken
out of the URL when the client is configured and goes out as Basic auth, so no URL the
client keeps, logs or puts in an error holds a password. Every error leaving a transport is
scrubbed: the client's own secrets, any ``Authorization`` value and any URL userinfo are
masked in its message, ``body``, ``url`` and ``hint`` — also where a server or proxy echoed
them back ("Incorrect API key provided: sk-…").
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from .errors import LocalLLMError

MASK = "***"
_SCHEMES = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}")
_HEADER = re.compile(r"(?i)(authorization|x-api-key|api[-_]key)([\"']?\s*[:=]\s*[\"']?)"
                     r"[^\"'\s,;}]+")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")
#: A key echoed shortened ("sk-abcd****wxyz") still starts with this many of its characters.
_ECHO_PREFIX = 8


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """``http://user:pw@host:1/p`` → (``http://host:1/p``, (user, pw)); other URLs as they are."""
    if "@" not in url:
        return url, None
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port is not None else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, (unquote(parts.username or ""), unquote(parts.password or ""))


def redact_url(url: str) -> str:
    """A URL with any userinfo masked, for text that shows a URL as given."""
    return _USERINFO.sub(rf"\1{MASK}@", url)


class Credentials:
    """The API key and the logins of a client's URLs (base URL → user, password)."""

    __slots__ = ("_counted", "_secret", "api_key", "logins")

    def __init__(self, api_key: str | None = None,
                 logins: Mapping[str, tuple[str, str]] | None = None) -> None:
        self.api_key = api_key or None
        #: Shared with ``Endpoints``, which adds the logins of URLs found later.
        self.logins: Mapping[str, tuple[str, str]] = logins if logins is not None else {}
        self._secret: re.Pattern[str] | None = None
        self._counted = -1  # how many logins _secret was built from

    def __repr__(self) -> str:
        return f"Credentials(api_key={MASK if self.api_key else None}, logins={len(self.logins)})"

    def headers(self) -> dict[str, str]:
        """Headers for every request: the bearer token."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def basic_auth_for(self, url: str) -> str | None:
        """The ``Authorization`` value for the login of the configured URL that ``url`` is
        under (the API key, when given, takes that header instead)."""
        if not self.logins or self.api_key:
            return None
        for base, (user, password) in self.logins.items():
            if url.startswith(base):
                return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return None

    # -- never shown --------------------------------------------------------------------------
    def _secrets(self) -> re.Pattern[str] | None:
        words: set[str] = set()
        if self.api_key:
            words.add(self.api_key)
            if len(self.api_key) >= 2 * _ECHO_PREFIX:
                words.add(self.api_key[:_ECHO_PREFIX])
        for user, password in self.logins.values():
            if password:
                words.add(password)
            login = f"{user}:{password}".encode()
            words.add(base64.b64encode(login).decode())
        if not words:
            return None
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        return re.compile(rf"(?:{alternatives})\S*")

    def redact(self, text: str) -> str:
        """``text`` with this client's secrets, any Authorization value and URL userinfo
        masked."""
        if self._counted != len(self.logins):
            self._secret, self._counted = self._secrets(), len(self.logins)
        if self._secret is not None:
            text = self._secret.sub(MASK, text)
        return redact_text(text)

    def scrub(self, error: LocalLLMError) -> LocalLLMError:
        """Mask secrets in every text field of ``error`` (``.partial`` is model output)."""
        for name in ("message", "body", "url", "hint"):
            value = getattr(error, name, None)
            if isinstance(value, str):
                setattr(error, name, self.redact(value))
        error.args = (error._render(),)
        return error


def redact_text(text: str) -> str:
    """Secrets any text may carry whoever sent it: bearer/Basic tokens, Authorization and
    API-key header values, URL userinfo."""
    if not ("@" in text or _maybe_secret(text)):
        return text
    text = _SCHEMES.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _USERINFO.sub(rf"\1{MASK}@", text)


def _maybe_secret(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ("bearer", "basic", "token", "key", "authorization"))
