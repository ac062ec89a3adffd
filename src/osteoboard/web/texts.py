"""The web app's own words, German first, English second.

Clinical words (values, fields, items, disciplines, scores) come from the knowledge base
(``labels.yaml``, ``actions.yaml``, ``kb.yaml``); here are only the words of the app itself:
navigation, buttons, headings, the board's decision outcomes and the roles.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["LANGS", "TEXTS", "Lang", "say"]

Lang = Literal["de", "en"]
LANGS: tuple[Lang, ...] = ("de", "en")

#: key -> (German, English); placeholders in braces.
TEXTS: dict[str, tuple[str, str]] = {
    # frame
    "app": ("osteoboard", "osteoboard"),
    "skip": ("Zum Inhalt springen", "Skip to content"),
    "nav": ("Hauptnavigation", "Main navigation"),
    "meetings": ("Sitzungen", "Meetings"),
    "cases": ("Fälle", "Cases"),
    "kb": ("Wissensbasis", "Knowledge base"),
    "logout": ("Abmelden", "Log out"),
    "language": ("Sprache", "Language"),
    "other_lang": ("English", "Deutsch"),
    "signed_in_as": ("Angemeldet: {user} ({role})", "Signed in: {user} ({role})"),
    "disclaimer": (
        "Entscheidungsunterstützung für die interdisziplinäre Tumorkonferenz. Die Vorschläge "
        "ersetzen nicht die ärztliche Beurteilung; die Konferenz entscheidet.",
        "Decision support for the interdisciplinary tumour board. The proposals do not "
        "replace clinical judgement; the board decides.",
    ),
    # roles
    "role.admin": ("Administration", "administrator"),
    "role.coordinator": ("Koordination", "coordinator"),
    "role.board_member": ("Board-Mitglied", "board member"),
    "role.viewer": ("Lesezugriff", "viewer"),
    # login
    "login": ("Anmelden", "Log in"),
    "login_title": ("Anmeldung", "Log in"),
    "username": ("Benutzername", "User name"),
    "password": ("Passwort", "Password"),
    "login_failed": ("Benutzername oder Passwort falsch.", "Wrong user name or password."),
    "locked_out": (
        "Zu viele fehlgeschlagene Anmeldungen; erneut versuchen in {seconds} s.",
        "Too many failed logins; try again in {seconds} s.",
    ),
    "session_expired": (
        "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
        "Your session has expired. Please log in again.",
    ),
    "logged_out": ("Sie sind abgemeldet.", "You are logged out."),
    "csrf_failed": (
        "Das Formular ist abgelaufen (Sicherheitsprüfung). Bitte Seite neu laden und erneut "
        "senden.",
        "The form has expired (security check). Please reload the page and send it again.",
    ),
    # meetings
    "meetings_title": ("Sitzungen der Tumorkonferenz", "Tumour board meetings"),
    "no_meetings": ("Noch keine Sitzung.", "No meeting yet."),
    "date": ("Datum", "Date"),
    "title": ("Titel", "Title"),
    "agenda_count": ("Fälle", "Cases"),
    "new_meeting": ("Neue Sitzung", "New meeting"),
    "create": ("Anlegen", "Create"),
    "agenda": ("Tagesordnung", "Agenda"),
    "position": ("Nr.", "No."),
    "case": ("Fall", "Case"),
    "primary": ("Primärtumor", "Primary tumour"),
    "state": ("Stand", "State"),
    "empty_agenda": ("Die Tagesordnung ist leer.", "The agenda is empty."),
    "add_to_agenda": ("Fall auf die Tagesordnung setzen", "Put a case on the agenda"),
    "add": ("Hinzufügen", "Add"),
    "remove": ("Entfernen", "Remove"),
    "remove_entry": ("{case} von der Tagesordnung nehmen", "Take {case} off the agenda"),
    "move_up": ("{case} nach oben", "Move {case} up"),
    "move_down": ("{case} nach unten", "Move {case} down"),
    "disciplines_present": ("Disziplinen", "Disciplines"),
    "state.not_evaluated": ("nicht ausgewertet", "not evaluated"),
    "state.open": ("{decided} von {items} entschieden", "{decided} of {items} decided"),
    "state.signed": ("abgezeichnet", "signed"),
    "state.emergencies": ("{count} Notfall/Notfälle", "{count} emergency/emergencies"),
    "meeting_created": ("Sitzung angelegt.", "Meeting created."),
    "entry_added": ("{case} steht auf der Tagesordnung.", "{case} is on the agenda."),
    "entry_removed": ("Fall von der Tagesordnung genommen.", "Case taken off the agenda."),
    "entry_moved": ("Reihenfolge geändert.", "Order changed."),
    # cases
    "cases_title": ("Fälle", "Cases"),
    "new_case": ("Neuer Fall", "New case"),
    "no_cases": ("Noch kein Fall.", "No case yet."),
    "pseudonym": ("Pseudonym", "Pseudonym"),
    "version": ("Version", "Version"),
    "evaluated": ("ausgewertet", "evaluated"),
    "yes": ("ja", "yes"),
    "no": ("nein", "no"),
    "unknown": ("unbekannt", "unknown"),
    "not_given": ("— nicht angegeben —", "— not given —"),
    # case form
    "case_form_new": ("Neuer Fall", "New case"),
    "case_form_edit": ("Fall {case} bearbeiten", "Edit case {case}"),
    "form_intro": (
        "Nur das Pseudonym ist Pflicht. Leere Felder gelten als nicht dokumentiert: sie ergeben "
        "Spannbreiten und Fragen, keinen Fehler. Zahlen mit Komma oder Punkt.",
        "Only the pseudonym is required. Empty fields count as not documented: they give "
        "ranges and questions, not an error. Numbers with a decimal point or comma.",
    ),
    "form_errors": (
        "Der Fall enthält {count} Fehler; sie sind bei den Feldern genannt.",
        "The case has {count} error(s); each is shown at its field.",
    ),
    "error_at": ("Fehler", "Error"),
    "note": ("Anmerkung zur Version", "Note on this version"),
    "save": ("Speichern", "Save"),
    "save_case": ("Fall speichern", "Save case"),
    "add_row": ("Weitere Zeile: {what}", "Another row: {what}"),
    "row": ("{what} {n}", "{what} {n}"),
    "allowed": ("zulässig: {text}", "allowed: {text}"),
    "one_per_line": ("eine Angabe je Zeile", "one entry per line"),
    "unit": ("Einheit", "Unit"),
    "optional_block": (
        "Nur ausfüllen, wenn zutreffend.",
        "Fill in only when it applies.",
    ),
    "case_saved": ("Fall gespeichert: Version {version}.", "Case saved: version {version}."),
    "stale": (
        "Der Fall wurde inzwischen geändert (jetzt Version {latest}). Bitte neu laden.",
        "The case has changed meanwhile (now version {latest}). Please reload.",
    ),
    # case page
    "case_title": ("Fall {case}", "Case {case}"),
    "edit": ("Bearbeiten", "Edit"),
    "history": ("Verlauf", "History"),
    "evaluate": ("Auswerten", "Evaluate"),
    "not_evaluated": (
        "Version {version} ist noch nicht ausgewertet.",
        "Version {version} has not been evaluated yet.",
    ),
    "evaluated_msg": ("Version {version} ausgewertet.", "Version {version} evaluated."),
    "meta_line": (
        "Version {version} · Konferenz {date} · Wissensbasis {kb}",
        "Version {version} · board {date} · knowledge base {kb}",
    ),
    "documents": ("Dokumente", "Documents"),
    "protocol_html": ("Protokoll (Vorschau)", "Protocol (preview)"),
    "protocol_pdf": ("Protokoll als PDF", "Protocol as PDF"),
    "letter_html": ("Patientenbrief (Vorschau)", "Patient letter (preview)"),
    "letter_pdf": ("Patientenbrief als PDF", "Patient letter as PDF"),
    "emergencies": ("Notfälle", "Emergencies"),
    "suspected": ("Verdacht", "Suspected"),
    "questions": ("Fragen an das Board", "Questions for the board"),
    "questions_intro": (
        "Eine Antwort legt eine neue Version des Falls an und wertet sie sofort aus.",
        "An answer creates a new version of the case and evaluates it at once.",
    ),
    "decides": ("entscheidet: {items}", "decides: {items}"),
    "answer": ("Antworten", "Answer"),
    "answer_for": ("Antwort: {field}", "Answer: {field}"),
    "answered": (
        "Antwort gespeichert: Version {version} ausgewertet. {changes}",
        "Answer saved: version {version} evaluated. {changes}",
    ),
    "no_change": ("Der Vorschlag bleibt gleich.", "The proposal stays the same."),
    "proposals": ("Vorschläge je Disziplin", "Proposals by discipline"),
    "warnings": (
        "Warnhinweise (Arzneimittelsicherheit, Widersprüche, Scores)",
        "Warnings (drug safety, contradictions, scores)",
    ),
    "because": ("Weil", "Because"),
    "always": ("immer", "always"),
    "if": ("wenn", "if"),
    "assumed": ("angenommen (nicht dokumentiert)", "assumed (not documented)"),
    "alternative_to": ("alternativ zu", "alternative to"),
    "sources": ("Quellen und Regel", "Sources and rule"),
    "rule": ("Regel", "Rule"),
    "lesion": ("Läsion", "Lesion"),
    "priority": ("Priorität", "Priority"),
    "strength": ("Empfehlungsstärke", "Strength"),
    "status": ("Status", "Status"),
    "prognosis": ("Prognose", "Prognosis"),
    "band": ("Prognoseband", "Prognosis band"),
    "ge6": ("Überleben ≥ 6 Monate", "Survival ≥ 6 months"),
    "basis": ("Grundlage", "Basis"),
    "scores": ("Scores mit Herleitung", "Scores with their working"),
    "score": ("Score", "Score"),
    "value": ("Wert", "Value"),
    "category": ("Kategorie", "Category"),
    "working": ("Herleitung", "Working"),
    "item": ("Item", "Item"),
    "given": ("Angabe", "Given"),
    "points": ("Punkte", "Points"),
    "missing_inputs": ("Fehlend", "Missing"),
    "source": ("Quelle", "Source"),
    "skeleton": ("Skelettbefall", "Skeletal involvement"),
    "lesions": ("Läsionen", "Lesions"),
    "course": ("Verlauf des M-Proteins", "M-protein course"),
    "missing": (
        "Fehlende Angaben, die den Vorschlag ändern können",
        "Missing data that may change the proposal",
    ),
    "would_change": ("würde ändern", "would change"),
    "urgency": ("Dringlichkeit", "Urgency"),
    "field": ("Angabe", "Field"),
    # decisions
    "decision": ("Beschluss", "Decision"),
    "board_decision": ("Beschluss der Tumorkonferenz", "Decision of the tumour board"),
    "decision_context": (
        "Sitzung {meeting} am {date}, Tagesordnungspunkt {position}",
        "Meeting {meeting} on {date}, agenda item {position}",
    ),
    "not_on_agenda": (
        "Dieser Fall steht auf keiner Tagesordnung; Beschlüsse werden in einer Sitzung gefasst.",
        "This case is on no agenda; decisions are made at a meeting.",
    ),
    "outcome": ("Entscheidung", "Decision"),
    "outcome.accepted": ("angenommen", "accepted"),
    "outcome.modified": ("geändert", "modified"),
    "outcome.rejected": ("abgelehnt", "rejected"),
    "reason": ("Begründung", "Reason"),
    "reason_hint": ("nötig bei geändert oder abgelehnt", "needed when modified or rejected"),
    "decision_text": ("Beschluss in Worten (optional)", "Decision in words (optional)"),
    "record_decision": ("Entscheidung speichern", "Save decision"),
    "record_decision_for": ("Entscheidung speichern: {item}", "Save decision: {item}"),
    "decided_by": ("{outcome} · {who}, {when}", "{outcome} · {who}, {when}"),
    "decision_saved": ("Entscheidung zu {item} gespeichert.", "Decision on {item} saved."),
    "stale_decision": (
        "bezieht sich auf eine ältere Auswertung; neu entscheiden",
        "refers to an older evaluation; decide again",
    ),
    "overall": ("Gesamtbeschluss", "Overall decision"),
    "overall_text": ("Beschluss", "Decision"),
    "conform": ("Leitlinienkonform", "Conforms to the guideline"),
    "conform_yes": ("ja, leitlinienkonform", "yes, conforms to the guideline"),
    "conform_no": ("nein, Abweichung von der Leitlinie", "no, deviates from the guideline"),
    "deviation_reason": ("Begründung der Abweichung", "Reason for the deviation"),
    "save_overall": ("Gesamtbeschluss speichern", "Save overall decision"),
    "overall_saved": ("Gesamtbeschluss gespeichert.", "Overall decision saved."),
    "sign_off": ("Abzeichnen", "Sign off"),
    "sign_off_hint": (
        "Nach dem Abzeichnen ist der Beschluss schreibgeschützt.",
        "Once signed, the decision is read-only.",
    ),
    "undecided": ("Noch ohne Entscheidung: {items}", "No decision yet on: {items}"),
    "signed_banner": (
        "Abgezeichnet am {when} von {who}. Der Beschluss ist schreibgeschützt.",
        "Signed on {when} by {who}. The decision is read-only.",
    ),
    "signed_msg": ("Beschluss abgezeichnet.", "Decision signed."),
    "read_only_role": (
        "Ihre Rolle ({role}) kann hier nur lesen.",
        "Your role ({role}) can only read here.",
    ),
    # history
    "history_title": ("Verlauf von Fall {case}", "History of case {case}"),
    "versions": ("Versionen", "Versions"),
    "author": ("Von", "By"),
    "when": ("Zeitpunkt", "When"),
    "changes": ("Änderungen", "Changes"),
    "first_version": ("erste Version", "first version"),
    "change_set": ("{field}: {old} → {new}", "{field}: {old} → {new}"),
    "evaluations": ("Auswertungen", "Evaluations"),
    "kb_version": ("Wissensbasis", "Knowledge base"),
    "change.added": ("neu: {item}", "new: {item}"),
    "change.removed": ("entfallen: {item}", "removed: {item}"),
    "change.status": ("{item}: {before} → {after}", "{item}: {before} → {after}"),
    "change.priority": ("{item}: {before} → {after}", "{item}: {before} → {after}"),
    "audit": ("Audit-Protokoll", "Audit trail"),
    "audit_intro": (
        "Jeder Schritt an diesem Fall, aus der fälschungssicheren Audit-Kette der Datenbank.",
        "Every step on this case, from the database's tamper-evident audit chain.",
    ),
    "action": ("Vorgang", "Action"),
    "object": ("Objekt", "Object"),
    "seq": ("Nr.", "No."),
    "audit.case.create": ("Fall angelegt", "case created"),
    "audit.case_version.create": ("Version gespeichert", "version saved"),
    "audit.evaluation.create": ("ausgewertet", "evaluated"),
    "audit.agenda_entry.create": ("auf die Tagesordnung gesetzt", "put on the agenda"),
    "audit.agenda_entry.move": ("auf der Tagesordnung verschoben", "moved on the agenda"),
    "audit.agenda_entry.delete": ("von der Tagesordnung genommen", "taken off the agenda"),
    "audit.item_decision.record": ("Entscheidung zu einem Punkt", "decision on an item"),
    "audit.overall_decision.record": ("Gesamtbeschluss", "overall decision"),
    "audit.agenda_entry.sign_off": ("abgezeichnet", "signed off"),
    # knowledge base
    "kb_title": ("Wissensbasis {version}", "Knowledge base {version}"),
    "search": ("Suche", "Search"),
    "search_label": (
        "In Regeln, Maßnahmen, Quellen und Glossar suchen",
        "Search rules, actions, sources and glossary",
    ),
    "rules": ("Regeln", "Rules"),
    "actions": ("Maßnahmen", "Actions"),
    "glossary": ("Glossar", "Glossary"),
    "hits": ("{count} Treffer", "{count} hits"),
    "condition": ("Bedingung (CEL)", "Condition (CEL)"),
    "discipline": ("Disziplin", "Discipline"),
    "code": ("Code", "Code"),
    "evidence": ("Evidenz", "Evidence"),
    "term": ("Begriff", "Term"),
    "evidence.guideline": ("Leitlinie", "guideline"),
    "evidence.approved": ("zugelassen", "approved"),
    "evidence.investigational": ("in Prüfung", "investigational"),
    "evidence.preclinical": ("präklinisch", "preclinical"),
    "evidence.obsolete": ("überholt", "obsolete"),
    "meaning": ("Bedeutung", "Meaning"),
    # errors
    "error_title": ("Fehler", "Error"),
    "back": ("Zurück", "Back"),
    "forbidden": ("Ihre Rolle darf das nicht.", "Your role may not do this."),
    "not_found": ("Nicht gefunden.", "Not found."),
}


def say(key: str, lang: Lang = "de", **params: object) -> str:
    """The text of ``key`` in ``lang`` with its placeholders filled."""
    de, en = TEXTS[key]
    text = de if lang == "de" else en
    return text.format(**params) if params else text
