"""``python -m edge_agent run --config …``: the agent alone, without the cloud's and the
simulators' imports of ``python -m kfleet`` (how ``kfleet-agent-launch`` starts the installed
version)."""

from edge_agent.cli import app

if __name__ == "__main__":
    app(prog_name="kfleet-agent")
