"""A job's typed params: validated once, when its command is decoded.

``JobRun`` carries params typed by its ``kind``; a job recovered from the journal after a
restart has them back from the JSON the journal stored (see :func:`stored_params`).
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from edge_agent.errors import AgentError
from edge_agent.jobs.salvage import brief
from protocols.jobs import PARAMS_FOR_KIND, JobKind
from protocols.messages import JobRun


class ParamsInvalid(AgentError):
    """A job's params do not fit its kind."""


def job_params(run: JobRun) -> BaseModel:
    """The typed params of ``run``."""
    params = run.params
    if isinstance(params, BaseModel):
        return params
    try:  # a protocol whose JobRun carries raw params (a dict)
        return PARAMS_FOR_KIND[run.kind].model_validate(params)
    except ValidationError as err:
        raise ParamsInvalid(f"params are invalid: {brief(err)}") from err


def stored_params(kind: str, stored: str) -> BaseModel:
    """The params of a journaled job, from the JSON the journal kept."""
    try:
        return PARAMS_FOR_KIND[JobKind(kind)].model_validate_json(stored)
    except (ValueError, KeyError) as err:  # ValidationError is a ValueError
        raise ParamsInvalid(f"the journaled params of this job cannot be read: {err}") from err
