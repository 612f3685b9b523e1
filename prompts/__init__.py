"""chatocr's prompt templates (Jinja2), shipped as the ``chatocr.prompts`` package; see ``chatocr.llm.prompts``."""
