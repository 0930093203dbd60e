"""Staged agent rollouts, the cloud side (issue 17): releases, rollouts, the health gate."""
