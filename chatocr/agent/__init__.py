"""The ChatOCR agent: key-information extraction and Q&A with evidence."""

from .agent import AgentOptions, BatchItem, ChatOCR, ChatSession, locate
from .results import Answer, Evidence, ExtractedField, Extraction

__all__ = [
    "AgentOptions",
    "Answer",
    "BatchItem",
    "ChatOCR",
    "ChatSession",
    "Evidence",
    "ExtractedField",
    "Extraction",
    "locate",
]
