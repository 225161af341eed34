"""What the bot says while a question is being sent for review (:mod:`bot.core.consent`): the button under a
fallback or a "did you mean", the preview that asks again, and the notes after each tap."""

from __future__ import annotations

from bot.core import callbacks as cb
from bot.core.replies import Button, Reply
from bot.i18n import translator
from bot.screens.compose import esc


class ConsentScreens:
    """Replies of the send-for-review flow; ``number`` is the waiting question's number (the button's arg)."""

    def offer_row(self, lang: str, number: int) -> tuple[Button, ...]:
        """The "📨 Send this question to improve the bot" button, alone on its row."""
        _ = translator(lang).gettext
        return (
            Button(
                "📨 " + _("Send this question to improve the bot"), data=self._data(cb.QUESTION_PREVIEW, number, lang)
            ),
        )

    def preview(self, text: str, lang: str, number: int) -> Reply:
        """The question exactly as it would be kept, what keeping it means, and the two buttons."""
        _ = translator(lang).gettext
        parts = [
            "<b>" + esc(_("This is exactly what would be kept:")) + "</b>",
            "<i>" + esc(text) + "</i>",
            esc(
                _(
                    "Phone numbers, emails and A-numbers are already replaced. If it still has a name or an "
                    "address, don't send it: write your question again without them."
                )
            ),
            esc(
                _(
                    "It may be used to improve the bot's public answers. It is kept without your Telegram ID "
                    "or name, so it cannot be linked back to you, and /delete cannot find it later. "
                    "Nothing is kept unless you press Send."
                )
            ),
        ]
        buttons = (
            (
                Button("✅ " + _("Send"), data=self._data(cb.QUESTION_SEND, number, lang)),
                Button("✖ " + _("Don't send"), data=self._data(cb.QUESTION_CANCEL, number, lang)),
            ),
        )
        return Reply("\n\n".join(parts), lang, buttons)

    def sent(self, lang: str) -> Reply:
        """After the second tap: kept (in place of the preview)."""
        _ = translator(lang).gettext
        text = _("Thank you. Your question was kept for review, with nothing that links it to you.")
        return Reply(esc(text), lang, edit=True)

    def not_sent(self, lang: str) -> Reply:
        """After "Don't send" (in place of the preview)."""
        _ = translator(lang).gettext
        return Reply(esc(_("Not sent. Nothing was kept.")), lang, edit=True)

    def not_kept(self, lang: str) -> Reply:
        """The question could not be written (the bot's storage failed): nothing was kept."""
        _ = translator(lang).gettext
        return Reply(esc(_("Sorry, the question could not be kept. Nothing was saved.")), lang, edit=True)

    def expired(self, lang: str) -> Reply:
        """A tap on a question that is no longer waiting (sent, expired, or the bot restarted): a notice."""
        _ = translator(lang).gettext
        return Reply("", lang, notice=_("This question is no longer waiting. Send it again, then press the button."))

    def not_yours(self, lang: str) -> Reply:
        """Someone else's button (in a group): a notice."""
        _ = translator(lang).gettext
        return Reply("", lang, notice=_("Only the person who asked can send this question."))

    @staticmethod
    def _data(verb: str, number: int, lang: str) -> str:
        return cb.encode(verb, str(number), lang)
