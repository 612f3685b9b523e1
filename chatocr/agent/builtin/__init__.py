"""The built-in engine: key-information extraction and extractive QA with no model and no key.

>>> from chatocr.agent.builtin import BuiltinEngine
>>> fields = BuiltinEngine().extract(doc, ["company", "date", "address", "total"])
>>> BuiltinEngine().answer(doc, "What is the total?").text
"""

from .engine import BuiltinEngine, BuiltinOptions, Embedder
from .synonyms import KeySpec, resolve_key

__all__ = ["BuiltinEngine", "BuiltinOptions", "Embedder", "KeySpec", "resolve_key"]
