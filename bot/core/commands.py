"""The bot's commands, named per language in ``knowledge/settings.yaml``: what a typed command does,
and the command menu Telegram shows."""

from __future__ import annotations

from bot.i18n import translator
from bot.knowledge import KnowledgeBase


class CommandBook:
    """Resolves typed command names (any language) to actions, and lists the menu per language."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._by_name: dict[str, tuple[str, str | None]] = {}
        first = kb.languages[0]
        for action, names in kb.affiliate.commands.items():
            for lang, name in names.items():
                # A name in the first language is neutral (everyone can type it, and the app's language
                # decides); another language's name hints at that language.
                self._by_name.setdefault(name, (action, None if lang == first else lang))

    def names(self) -> list[str]:
        """Every command name in every language (for Telegram's command handler)."""
        return list(self._by_name)

    def resolve(self, name: str) -> tuple[str | None, str | None]:
        """(action, language hint) for a typed command name; (None, None) for one the bot does not know."""
        return self._by_name.get(name.lower(), (None, None))

    def menu(self, lang: str) -> list[tuple[str, str]]:
        """(command, description) pairs for the command menu in ``lang`` (the first language's names
        where ``lang`` has none)."""
        _ = translator(lang).gettext
        org = self.kb.affiliate.organization.get(lang, "")
        descriptions = {
            "topics": _("Browse topics"),
            "emergency": _("What to do right now: ICE at the door, stopped, arrested"),
            "card": _("Rights card (picture)"),
            "check": _("Check an alert before you forward it"),
            "language": _("English / Español"),
            "contact": _("How to reach the {organization}").format(organization=org),
            "about": _("About this bot"),
            "privacy": _("What the bot stores"),
            "delete": _("Forget everything stored about me"),
            "help": _("How to use this bot"),
        }
        first = self.kb.languages[0]
        out: list[tuple[str, str]] = []
        for action, text in descriptions.items():
            names = self.kb.affiliate.commands.get(action, {})
            name = names.get(lang) or names.get(first)
            if name:
                out.append((name, text))
        return out
