"""``chatocr.options.with_settings``: options by their dotted names (``chatocr ocr --set KEY=VALUE``)."""

from __future__ import annotations

import pytest

from chatocr.options import OCROptions, ParserOptions, RecognizerOptions, option_fields, with_settings


def test_values_are_json_unless_the_option_takes_text():
    o = with_settings(OCROptions(), [
        "det.box_thresh=0.6", "det.split_lines=true", "cls.image_shape=[48, 160]", "loader.pages=[2, 3]",
        "loader.password=1234", "rec.cjk=never", "det.limit_type=max", "model=pp-ocrv6-tiny",
    ])
    assert (o.det.box_thresh, o.det.split_lines, o.cls.image_shape, o.loader.pages) == (0.6, True, (48, 160), (2, 3))
    assert (o.loader.password, o.rec.cjk, o.det.limit_type, o.model) == ("1234", "never", "max", "pp-ocrv6-tiny")
    assert with_settings(OCROptions(loader={"password": "x"}), ["loader.password=null"]).loader.password is None
    assert with_settings(OCROptions(loader={"dpi": 300}), ["loader.pages=null"]).loader.pages is None


def test_settings_count_as_set_and_keep_what_was_set_before():
    """A set field wins over the model's own constants (``_merge_defaults``): what ``--set`` gives must count
    as set, and the fields the other flags set must stay set, while the rest stays unset."""
    before = OCROptions(rec=RecognizerOptions(cjk="never"))
    after = with_settings(before, ["det.unclip_ratio=1.6", "rec.drop_score=0.9"])
    assert after.det.model_fields_set == {"unclip_ratio"}
    assert after.rec.model_fields_set == {"cjk", "drop_score"} and after.rec.cjk == "never"
    assert after.cls.model_fields_set == set() and after.loader.model_fields_set == set()
    assert with_settings(before, []) is before
    later = with_settings(after, ["det.unclip_ratio=2.0"])  # the last one wins
    assert later.det.unclip_ratio == 2.0 and later.rec.drop_score == 0.9


def test_parser_options_reach_the_ocr_beneath():
    p = with_settings(ParserOptions(), ["ocr.det.box_thresh=0.5", "table.method=ruled", "kv=false"])
    assert (p.ocr.det.box_thresh, p.table.method, p.kv) == (0.5, "ruled", False)


@pytest.mark.parametrize(("setting", "message"), [
    ("det.box_thresh=2", "det.box_thresh: Input should be less than 1"),
    ("det.box_thresh=high", "det.box_thresh: Input should be a valid number"),
    ("det.box_threshold=0.6", "no option 'det.box_threshold' (det has no 'box_threshold')"),
    ("detector.box_thresh=0.6", "no option 'detector.box_thresh' (they start with model, engine, det,"),
    ("det.box_thresh.x=1", "no option 'det.box_thresh.x' (det.box_thresh has no 'x')"),
    ("det=1", "'det' is a group of options"),
    ("det.box_thresh", "not KEY=VALUE"),
    ("=1", "not KEY=VALUE"),
    ("rec.cjk=maybe", "rec.cjk: Input should be 'auto', 'allow' or 'never'"),
    ("rec.enabled=false", "det.enabled and rec.enabled are both False"),
])
def test_a_bad_setting_is_one_line_naming_it(setting, message):
    with pytest.raises(ValueError) as e:
        with_settings(OCROptions(det={"enabled": False}) if "rec.enabled" in setting else OCROptions(), [setting])
    assert message in str(e.value) and "\n" not in str(e.value)


def test_every_option_is_listed_with_its_default_and_what_it_does():
    rows = {name: (default, text) for name, default, text in option_fields(OCROptions)}
    assert rows["det.box_thresh"][0] == 0.45 and "probability" in rows["det.box_thresh"][1]
    assert rows["model"][0] == "pp-ocrv6-small" and "engine" not in rows and "det" not in rows
    for name, (default, _) in rows.items():  # each listed name can be set, to its default
        assert with_settings(OCROptions(), [f"{name}={_json(default)}"]) == OCROptions()
    assert all(text for _, _, text in option_fields(ParserOptions))


def _json(value) -> str:
    import json

    if isinstance(value, str):
        return value
    return json.dumps(list(value) if isinstance(value, tuple) else value)
