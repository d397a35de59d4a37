"""The engine: unit models (systolic array, vector, scalar), memories and the simpy event loop."""
