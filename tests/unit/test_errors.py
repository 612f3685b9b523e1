"""chatocr.errors: every exception survives pickling (a worker process raises it in the parent)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import chatocr.errors as errors


def _example(cls: type) -> Exception:
    if issubclass(cls, errors.InputError):
        return cls("scans/a.pdf", "page 4 is damaged")
    if cls is errors.NeedsKey:
        return cls("openai:gpt-4o-mini", "OPENAI_API_KEY")
    if issubclass(cls, errors.LLMRequestError):
        return cls("openai:gpt-4o-mini: model not found", 404)
    return cls("something failed")


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_pickles_with_its_type_message_and_fields(name):
    error = _example(getattr(errors, name))
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)


def test_an_input_error_about_an_object_pickles_with_its_name():
    error = errors.UnreadableDocument(object(), "no pixels")
    back = pickle.loads(pickle.dumps(error))
    assert str(back) == str(error) == "<object>: no pixels"
    path = errors.UnsupportedFormat(Path("a.xyz"), "not a document")
    assert pickle.loads(pickle.dumps(path)).source == Path("a.xyz")
