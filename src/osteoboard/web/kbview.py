"""The knowledge base as the web app shows it: rules, actions, sources and glossary, and a
search over all of them (every word of the query must occur, case and accents ignored)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from osteoboard.guideline import KnowledgeBase
from osteoboard.render.citations import bibliography
from osteoboard.web.texts import Lang, say

__all__ = ["KbResults", "search"]


@dataclass
class KbResults:
    rules: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    glossary: list[dict[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rules) + len(self.actions) + len(self.sources) + len(self.glossary)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_CACHE: dict[tuple[str, str], KbResults] = {}


def _entries(kb: KnowledgeBase, lang: Lang) -> KbResults:
    """Every entry of the knowledge base in ``lang`` (built once per knowledge base)."""
    key = (kb.sha256, lang)
    if key not in _CACHE:
        _CACHE[key] = _build(kb, lang)
    return _CACHE[key]


def _build(kb: KnowledgeBase, lang: Lang) -> KbResults:
    out = KbResults()
    for compiled in kb.rules:
        rule = compiled.rule
        action = kb.actions.get(rule.action)
        out.rules.append(
            {
                "id": rule.id,
                "file": compiled.file,
                "action": rule.action,
                "label": str(getattr(action.label, lang)) if action else rule.action,
                "when": " ".join(rule.when.split()),
                "priority": kb.labels.say("priority", rule.priority.value, lang),
                "strength": kb.labels.say("strength", rule.strength, lang),
                "sources": ", ".join(rule.sources),
            }
        )
    for code, action in kb.actions.items():
        out.actions.append(
            {
                "code": code,
                "label": str(getattr(action.label, lang)),
                "text": str(getattr(action.text, lang)),
                "discipline": str(getattr(kb.disciplines[action.discipline], lang)),
                "status": say(f"evidence.{action.status.value}", lang),
            }
        )
    for ref in bibliography(list(kb.sources), kb.sources):
        out.sources.append({"key": ref.key, "text": ref.text, "html": ref.html})
    for term, meaning in sorted(kb.glossary.items(), key=lambda kv: _fold(kv[0])):
        out.glossary.append({"term": term, "meaning": " ".join(meaning.split())})
    return out


def search(kb: KnowledgeBase, query: str, lang: Lang) -> KbResults:
    """Every entry whose words contain every word of ``query`` (all entries when empty)."""
    everything = _entries(kb, lang)
    words = [_fold(w) for w in query.split() if w]
    if not words:
        return everything

    def hit(entry: dict[str, str]) -> bool:
        text = _fold(" ".join(v for k, v in entry.items() if k != "html"))
        return all(w in text for w in words)

    return KbResults(
        rules=[e for e in everything.rules if hit(e)],
        actions=[e for e in everything.actions if hit(e)],
        sources=[e for e in everything.sources if hit(e)],
        glossary=[e for e in everything.glossary if hit(e)],
    )
