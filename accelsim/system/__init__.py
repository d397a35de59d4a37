"""Multi-chip training: system specs, collectives, an event-driven network and parallel training.

Data flow: ``spec`` (YAML -> :class:`SystemSpec`) -> ``topology`` (directed links and routes) ->
``collectives`` (closed-form alpha-beta-gamma costs) and ``schedules`` + ``network_sim`` (event-driven
messages over links) -> ``parallel`` / ``training`` (step time of a parallel training job) ->
``report`` (tables and JSON).
"""
