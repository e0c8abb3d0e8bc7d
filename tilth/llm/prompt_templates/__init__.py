"""Built-in prompt templates (data files; a package so that they are installed with Tilth)."""
