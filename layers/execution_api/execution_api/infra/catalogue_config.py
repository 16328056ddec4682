"""The workflow catalogue (``config/workflows.toml`` and the stage's overrides), read with the
configuration mechanism of ``infra.config`` and loaded once per container. A module of its own so
that the functions that never start a workflow do not import the catalogue's models."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from execution_api.infra.config import read_config
from execution_api.infra.settings import get_settings
from execution_api.models.catalogue import WorkflowCatalogue


def load_catalogue(directory: Path, stage: str) -> WorkflowCatalogue:
    """The workflow catalogue of ``stage`` (``<directory>/workflows.toml`` and the stage's overrides);
    its input schemas are files under ``directory``."""
    data = read_config(directory, "workflows", stage)
    return WorkflowCatalogue.model_validate(data, context={"config_dir": directory})


@cache
def workflow_catalogue() -> WorkflowCatalogue:
    """The workflows of this stage, loaded once, each on a state machine the stack knows (``STATE_MACHINES``)."""
    settings = get_settings()
    catalogue = load_catalogue(settings.config_dir, settings.stage)
    catalogue.check_deployed(settings.state_machines)
    return catalogue
