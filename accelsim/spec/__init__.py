"""Architecture specification: typed frozen dataclasses (arch.py) parsed from YAML by a small
schema layer (schema.py) that reports every problem with file, line, column and field path."""
