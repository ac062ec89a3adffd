"""Errors of the store, each with a German and an English message.

Every error names what it is about (``field`` for invalid input, the object type and id for
the rest), so that a face can turn it into a problem document or a one-line CLI message:

=====================  ==========================================  ============
class                  meaning                                     HTTP status
=====================  ==========================================  ============
``NotFoundError``      no such object                              404
``ConflictError``      clashes with what is stored (duplicate,      409
                       stale version)
``StateError``         refused in the object's state (signed,      409
                       revoked, not yet evaluated …)
``SignedError``        a ``StateError``: the record is signed      409
``InvalidInputError``  a value is not allowed; ``field`` names it  422
``PermissionDenied``   the role may not do this                    403
``AuthenticationError`` wrong user name or password, unknown or    401
                       expired session or token
``LockedOutError``     too many failed logins; ``retry_after``     429
=====================  ==========================================  ============
"""

from __future__ import annotations

from typing import Any, Literal

from osteoboard.errors import OsteoboardError

__all__ = [
    "MESSAGES",
    "AuthenticationError",
    "ConflictError",
    "InvalidInputError",
    "LockedOutError",
    "NotFoundError",
    "PermissionDenied",
    "SignedError",
    "StateError",
    "StoreError",
]

Lang = Literal["de", "en"]

#: key -> (German, English); placeholders in braces, the same in both.
MESSAGES: dict[str, tuple[str, str]] = {
    "not_found": ("{what} {id} nicht gefunden", "{what} {id} not found"),
    "no_version": (
        "Fall {case} hat keine Version {number}",
        "case {case} has no version {number}",
    ),
    "not_on_agenda": (
        "Fall {case} steht nicht auf der Tagesordnung der Sitzung {meeting}",
        "case {case} is not on the agenda of meeting {meeting}",
    ),
    "pseudonym_taken": (
        "Pseudonym {pseudonym} ist schon vergeben",
        "pseudonym {pseudonym} is already taken",
    ),
    "username_taken": (
        "Benutzername {name} ist schon vergeben",
        "user name {name} is already taken",
    ),
    "token_name_taken": (
        "ein Token namens {name} gibt es schon",
        "a token named {name} already exists",
    ),
    "stale_version": (
        "Fall {case} ist inzwischen bei Version {latest}, nicht {expected}; neu laden und "
        "erneut ändern",
        "case {case} is at version {latest} now, not {expected}; reload and edit again",
    ),
    "already_on_agenda": (
        "Fall {case} steht schon auf der Tagesordnung der Sitzung {meeting}",
        "case {case} is already on the agenda of meeting {meeting}",
    ),
    "pseudonym_changed": (
        "id muss das Pseudonym des Falls bleiben ({pseudonym}), erhalten {got}",
        "id must stay the case's pseudonym ({pseudonym}), got {got}",
    ),
    "signed": (
        "Tagesordnungspunkt {entry} ist abgezeichnet ({when}, {who}); Entscheidungen und "
        "Bewertung sind schreibgeschützt",
        "agenda entry {entry} is signed ({when}, {who}); its decisions and evaluation are "
        "read-only",
    ),
    "meeting_has_signed": (
        "Sitzung {meeting} hat abgezeichnete Tagesordnungspunkte und kann nicht gelöscht werden",
        "meeting {meeting} has signed agenda entries and cannot be deleted",
    ),
    "not_evaluated": (
        "Version {number} von Fall {case} ist noch nicht ausgewertet; zuerst auswerten",
        "version {number} of case {case} has not been evaluated yet; evaluate it first",
    ),
    "stale_evaluation": (
        "die Entscheidung zu {item} bezieht sich auf Auswertung {old}, aktuell ist {current}; "
        "neu entscheiden",
        "the decision on {item} refers to evaluation {old}, the current one is {current}; "
        "decide again",
    ),
    "undecided_items": (
        "noch ohne Entscheidung: {items}",
        "no decision yet on: {items}",
    ),
    "no_overall_decision": (
        "die Gesamtentscheidung des Boards fehlt",
        "the board's overall decision is missing",
    ),
    "unknown_item": (
        "{item} ist kein Punkt der Auswertung {evaluation}; vorhanden: {items}",
        "{item} is not an item of evaluation {evaluation}; present: {items}",
    ),
    "reason_required": (
        "Begründung fehlt (nötig bei {outcome})",
        "reason is required (for {outcome})",
    ),
    "deviation_reason_required": (
        "Begründung der Abweichung von der Leitlinie fehlt",
        "reason for the deviation from the guideline is required",
    ),
    "one_of": (
        "muss einer dieser Werte sein: {allowed} (erhalten {got})",
        "must be one of {allowed} (got {got})",
    ),
    "required": ("Pflichtfeld fehlt", "is required"),
    "text_too_long": (
        "darf höchstens {limit} Zeichen lang sein (erhalten {count})",
        "must be at most {limit} characters long (got {count})",
    ),
    "list_too_long": (
        "Liste darf höchstens {limit} Einträge haben (erhalten {count})",
        "list should have at most {limit} items (got {count})",
    ),
    "not_printable": (
        "darf nur druckbaren Text enthalten",
        "must be printable text",
    ),
    "bad_name": (
        "muss mit Buchstabe oder Ziffer beginnen und darf nur Buchstaben, Ziffern, . _ - "
        "enthalten (erhalten {got})",
        "must start with a letter or digit and contain only letters, digits, . _ - (got {got})",
    ),
    "password_too_short": (
        "muss mindestens {limit} Zeichen lang sein",
        "must be at least {limit} characters long",
    ),
    "position_range": (
        "muss zwischen 1 und {limit} liegen (erhalten {got})",
        "must be between 1 and {limit} (got {got})",
    ),
    "negative": ("darf nicht negativ sein (erhalten {got})", "must not be negative (got {got})"),
    "forbidden": (
        "die Rolle {role} darf {operation} nicht",
        "role {role} may not {operation}",
    ),
    "sign_off_user_only": (
        "abzeichnen kann nur eine angemeldete Person mit der Rolle board_member, kein Token",
        "only a logged-in person with role board_member can sign off, not a token",
    ),
    "bad_login": (
        "Benutzername oder Passwort falsch",
        "wrong user name or password",
    ),
    "locked_out": (
        "zu viele fehlgeschlagene Anmeldungen; erneut versuchen in {seconds} s",
        "too many failed logins; try again in {seconds} s",
    ),
    "session_invalid": (
        "Sitzung unbekannt oder abgelaufen; bitte neu anmelden",
        "session unknown or expired; please log in again",
    ),
    "token_invalid": ("Token unbekannt oder widerrufen", "token unknown or revoked"),
    "token_revoked": ("Token {name} ist schon widerrufen", "token {name} is already revoked"),
    "user_inactive": ("Benutzer {name} ist deaktiviert", "user {name} is deactivated"),
}

#: German and English names of the object types, for ``not_found``.
OBJECT_NAMES: dict[str, tuple[str, str]] = {
    "patient": ("Patient", "patient"),
    "case": ("Fall", "case"),
    "case_version": ("Fallversion", "case version"),
    "evaluation": ("Auswertung", "evaluation"),
    "meeting": ("Sitzung", "meeting"),
    "agenda_entry": ("Tagesordnungspunkt", "agenda entry"),
    "user": ("Benutzer", "user"),
    "api_token": ("Token", "token"),
}


class StoreError(OsteoboardError):
    """Base of the store's errors: a message key, its parameters and, where it applies, the
    field (a dotted path such as ``outcome`` or ``document.id``) the problem is in."""

    status = 400

    def __init__(self, key: str, *, field: str | None = None, **params: Any) -> None:
        self.key = key
        self.field = field
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: Lang = "de") -> str:
        """The message in German (default) or English, the field first where there is one."""
        de, en = MESSAGES[self.key]
        params = {k: _param(v, lang) for k, v in self.params.items()}
        text = (de if lang == "de" else en).format(**params)
        return f"{self.field}: {text}" if self.field else text

    @property
    def de(self) -> str:
        return self.message("de")

    @property
    def en(self) -> str:
        return self.message("en")


def _param(value: Any, lang: Lang) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return str(value[0] if lang == "de" else value[1])
    return str(value)


def object_name(kind: str) -> tuple[str, str]:
    """German and English name of an object type (a parameter of a message)."""
    return OBJECT_NAMES.get(kind, (kind, kind))


class NotFoundError(StoreError):
    status = 404

    @classmethod
    def of(cls, kind: str, ident: object) -> NotFoundError:
        return cls("not_found", what=object_name(kind), id=ident)


class ConflictError(StoreError):
    status = 409


class StateError(StoreError):
    status = 409


class SignedError(StateError):
    """The agenda entry is signed: its decisions and evaluation are read-only."""


class InvalidInputError(StoreError):
    status = 422


class PermissionDenied(StoreError):
    status = 403


class AuthenticationError(StoreError):
    status = 401


class LockedOutError(AuthenticationError):
    """Too many failed logins for this user name: ``retry_after`` seconds to wait."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__("locked_out", seconds=retry_after)
