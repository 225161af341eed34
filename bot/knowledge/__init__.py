"""The knowledge base: the data model (:mod:`.model`), one validator per file, and :func:`load_knowledge`."""

from bot.knowledge.checks import KnowledgeError
from bot.knowledge.entry_file import MAX_ANSWER_CHARS, MIN_QUESTIONS
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import (
    Affiliate,
    Confirmation,
    Contacts,
    Entry,
    KnowledgeBase,
    LegalReview,
    Lexicon,
    LocalizedText,
    OfficerCard,
    Source,
    TopicGroup,
    TrainingExample,
)

__all__ = [
    "MAX_ANSWER_CHARS",
    "MIN_QUESTIONS",
    "Affiliate",
    "Confirmation",
    "Contacts",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "LegalReview",
    "Lexicon",
    "LocalizedText",
    "OfficerCard",
    "Source",
    "TopicGroup",
    "TrainingExample",
    "load_knowledge",
]
