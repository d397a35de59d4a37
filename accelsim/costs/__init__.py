"""Cost models: energy per action (``energy``), silicon area (``area``; of a whole architecture:
``arch_area``), the published tables they are built from (``tables``), process-node scaling
(``scaling``) and per-format arithmetic costs (``arithmetic``). Importing any of them needs numpy at most.
"""
