"""The demo and load world: starts broker, cloud, agents and simulators together.

The one place that may import every package (``kfleet demo``, ``kfleet sim fleet`` and the
tests' end-to-end worlds); the simulators themselves stay hardware only.
"""
