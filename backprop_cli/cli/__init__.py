"""One module per command; ``cli.py`` puts them together."""
