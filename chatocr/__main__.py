"""``python -m chatocr``: the same as the ``chatocr`` command."""

from .cli import main

if __name__ == "__main__":
    main()
