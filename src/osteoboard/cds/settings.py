"""Settings of the CDS Hooks service, read from ``OSTEOBOARD_*`` environment variables.

``OSTEOBOARD_CDS_CLIENTS`` is a JSON object: for each trusted issuer (the JWT's ``iss``) where
its public keys are (``jwks_url``, or the JWK Set itself as ``jwks``), which ``jku`` URLs its
tokens may name, and which FHIR servers (``fhir_servers``) the service may query for it. See
docs/cds-hooks.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from osteoboard.api.settings import settings_from_env
from osteoboard.fhir.loaders import MAX_INPUT_BYTES

__all__ = ["CdsClient", "CdsSettings", "FhirBase"]


def _absolute_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an absolute http(s) URL (got {value[:80]!r})")
    return value


_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FhirBase:
    """A FHIR base URL in the form it is compared in: scheme and host in lower case, the
    port spelled out, the path without a trailing ``/``.

    :meth:`parse` refuses what could hide where a request really goes: user info, a
    ``.``/``..`` path segment (also percent-encoded), a backslash, and (unless ``query``) a
    query or fragment."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, value: str, *, query: bool = False) -> FhirBase:
        """The base of ``value`` (with ``query``: of a URL whose query is ignored, such as a
        search's next page), or ValueError saying what is wrong with it."""
        parts = urlsplit(value)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"must be an absolute http(s) URL (got {value[:80]!r})")
        if parts.username is not None or parts.password is not None:
            raise ValueError(f"must not contain user info (got {value[:80]!r})")
        if not query and (parts.query or parts.fragment or "?" in value or "#" in value):
            raise ValueError(f"must not have a query or fragment (got {value[:80]!r})")
        decoded = unquote(parts.path)
        if "\\" in decoded or any(segment in (".", "..") for segment in decoded.split("/")):
            raise ValueError(f"must not contain '.' or '..' path segments (got {value[:80]!r})")
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            raise ValueError(f"has an invalid port (got {value[:80]!r})") from None
        return cls(scheme, parts.hostname.lower(), port, parts.path.rstrip("/"))

    def covers(self, other: FhirBase) -> bool:
        """Whether ``other`` is this base or below it (same scheme, host and port; the path
        equal or continuing after a ``/``)."""
        return (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port) and (
            other.path == self.path or other.path.startswith(self.path + "/")
        )

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.path}"


def _fhir_base(value: str) -> str:
    try:
        FhirBase.parse(value)
    except ValueError as exc:
        raise ValueError(f"fhir_servers: {exc}") from None
    return value.rstrip("/")


class CdsClient(BaseModel):
    """One trusted CDS client (an EHR): where the keys that sign its JWTs are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jwks_url: str | None = Field(
        default=None, description="URL of the client's JWK Set (fetched and cached)."
    )
    jwks: dict[str, Any] | None = Field(
        default=None, description="The client's JWK Set itself, agreed out of band."
    )
    jku: list[str] = Field(
        default_factory=list,
        description="JWK Set URLs a token's jku header may name (any other jku is refused).",
    )
    fhir_servers: list[str] = Field(
        default_factory=list,
        description="FHIR base URLs the service may query with the client's fhirAuthorization: "
        "a call's fhirServer must be one of them or lie below one (same scheme, host and "
        "port; the path continuing after a '/'). None: the service never queries a FHIR "
        "server for this client.",
    )

    @field_validator("jwks_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _absolute_url(value)

    @field_validator("jku")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        return [_absolute_url(v) for v in value]

    @field_validator("fhir_servers")
    @classmethod
    def _fhir_servers(cls, value: list[str]) -> list[str]:
        return [_fhir_base(v) for v in value]

    def allows_fhir_server(self, fhir_server: str) -> bool:
        """Whether the service may send this client's FHIR token to ``fhir_server``."""
        try:
            wanted = FhirBase.parse(fhir_server)
        except ValueError:
            return False
        return any(FhirBase.parse(base).covers(wanted) for base in self.fhir_servers)

    @model_validator(mode="after")
    def _some_keys(self) -> CdsClient:
        if self.jwks_url is None and self.jwks is None and not self.jku:
            raise ValueError("each client needs jwks_url, jwks or jku")
        if self.jwks is not None and not isinstance(self.jwks.get("keys"), list):
            raise ValueError("jwks must be a JWK Set: an object with a list 'keys'")
        return self


class CdsSettings(BaseModel):
    """Settings of the CDS Hooks service (environment variables ``OSTEOBOARD_<NAME>``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The server's public base URL as clients call it: a JWT's aud must be "
        "this URL with /cds-services or /cds-services/{id}; links to case pages start with it.",
    )
    cds_proposal_url: str | None = Field(
        default=None,
        description="Link of a card when the case is not stored (default: the web app's "
        "start page under public_url).",
    )
    cds_clients: dict[str, CdsClient] = Field(
        default_factory=dict,
        description="Trusted issuers (JSON object iss -> {jwks_url, jwks, jku}); none: every "
        "call is refused.",
    )
    cds_lang: Literal["de", "en"] = Field(
        default="de", description="Language of the cards unless the call asks for another."
    )
    cds_jwt_max_age_s: int = Field(
        default=300, ge=10, le=3600, description="Oldest accepted JWT (seconds since iat)."
    )
    cds_jwt_leeway_s: int = Field(
        default=30, ge=0, le=300, description="Allowed clock skew for exp and iat."
    )
    cds_replay_capacity: int = Field(
        default=100_000,
        ge=100,
        le=10_000_000,
        description="JWT ids remembered per worker; when full of unexpired ids, calls are "
        "refused until some expire.",
    )
    cds_jwks_ttl_s: int = Field(
        default=3600, ge=10, le=7 * 24 * 3600, description="How long a fetched JWK Set is kept."
    )
    cds_fhir_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="Timeout of each request to a client's FHIR server."
    )
    cds_fhir_max_response_bytes: int = Field(
        default=20_000_000,
        ge=10_000,
        le=MAX_INPUT_BYTES,
        description="Largest body of one answer of a client's FHIR server (read as a stream, "
        "stopped at the limit); a larger one gives 412. At most the FHIR import's input "
        "limit, which also bounds all answers of one call together.",
    )

    @field_validator("cds_clients", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"must be a JSON object ({exc.msg})") from None
        return value

    @field_validator("cds_clients")
    @classmethod
    def _issuers(cls, value: dict[str, CdsClient]) -> dict[str, CdsClient]:
        for iss in value:
            if not iss:
                raise ValueError("an issuer must not be empty")
        return value

    @field_validator("public_url", "cds_proposal_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        return None if value is None else _absolute_url(value).rstrip("/")

    @property
    def proposal_url(self) -> str:
        return self.cds_proposal_url or f"{self.public_url}/"

    def audience(self, path: str) -> str:
        """The aud a JWT must carry for ``path`` (``/cds-services…``)."""
        return self.public_url + path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CdsSettings:
        return settings_from_env(cls, environ)
