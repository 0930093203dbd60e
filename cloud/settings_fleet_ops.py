"""The settings of running a large fleet (issue 17) as one mixin of
:class:`cloud.settings.Settings`: staged agent rollouts (``docs/rollouts.md``) and the job
API's overload refusal (``docs/api.md``, 429 with ``Retry-After``)."""

from __future__ import annotations

from cloud.settings_job_intake import JobIntakeSettings
from cloud.settings_rollouts import RolloutSettings


class FleetOpsSettings(RolloutSettings, JobIntakeSettings):
    """Every issue-17 setting; the order of the bases is the order in ``docs/settings.md``."""
