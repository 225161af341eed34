"""The knowledge base: the data model (:mod:`.model`), one validator per file, and :func:`load_knowledge`."""

from .checks import KnowledgeError
from .entry_file import MAX_ANSWER_CHARS, MIN_QUESTIONS
from .loader import load_knowledge
from .model import (
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
