"""``python -m edge_agent run --config …``: the agent alone, without the cloud's and the
simulators' imports of ``python -m kfleet`` (how ``kfleet-agent-launch`` starts the installed
version)."""

import sys

# httpx's package imports its command line (click, rich, pygments: ~4.5 MB of the agent's
# memory) whenever they are installed; the agent never runs it, and a None entry makes that
# import fail quietly, as httpx expects when they are absent (issue 17: agent footprint)
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: import blocked
# paho imports dnspython (~1.7 MB) when installed, for DNS SRV lookups the agent never makes
# (its broker is a configured URL); without it paho says so only if one is asked for
sys.modules.setdefault("dns", None)  # type: ignore[arg-type]

from edge_agent.cli import app  # noqa: E402  (after the entry above)

if __name__ == "__main__":
    app(prog_name="kfleet-agent")
