"""A job's typed params come validated with its command (``JobRun`` is a union on ``kind``,
each with its own params model), so the runner never validates them again; only a job
recovered from the journal after a restart reads them back from the JSON stored there.
"""

from __future__ import annotations

from pydantic import BaseModel

from edge_agent.errors import AgentError
from protocols.jobs import PARAMS_FOR_KIND, JobKind


class ParamsInvalid(AgentError):
    """A job's params do not fit its kind."""


def stored_params(kind: str, stored: str) -> BaseModel:
    """The params of a journaled job, from the JSON the journal kept."""
    try:
        return PARAMS_FOR_KIND[JobKind(kind)].model_validate_json(stored)
    except (ValueError, KeyError) as err:  # ValidationError is a ValueError
        raise ParamsInvalid(f"the journaled params of this job cannot be read: {err}") from err
