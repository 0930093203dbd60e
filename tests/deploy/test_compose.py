"""deploy/compose.yaml and deploy/container/Dockerfile, checked without a Docker daemon (none
runs where kfleet is built): the compose file's structure (healthchecks, volumes, dependencies,
secrets only through env files), that every ``KFLEET_*`` name it, the example env files, the
Dockerfile and the systemd units set is a real cloud setting, that the example env files agree
with each other and make valid settings, and that the image copies every package we ship."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from cloud.settings import Settings
from protocols.mqtt_url import parse_mqtt_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
EXAMPLES = DEPLOY / "compose" / "env.example"
SETTING_NAMES = {f"KFLEET_{name.upper()}" for name in Settings.model_fields}
#: names the compose file's one-shot broker setup reads, not the cloud
BROKER_SETUP_ONLY = {"KFLEET_CLOUD_MQTT_USERNAME", "KFLEET_CLOUD_MQTT_PASSWORD"}
LONG_RUNNING = ("cloud", "postgres", "mosquitto", "victoriametrics")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def env_file(name: str) -> dict[str, str]:
    pairs = {}
    for line in (EXAMPLES / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_the_stack_has_its_four_servers_each_with_a_healthcheck_and_a_volume() -> None:
    services = compose()["services"]
    for name in LONG_RUNNING:
        service = services[name]
        assert "healthcheck" in service and service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name
        volumes = [v for v in service["volumes"] if not str(v).startswith("./")]
        assert volumes, f"{name} keeps its state in a named volume"
    declared = set(compose()["volumes"])
    used = {
        str(v).split(":", 1)[0]
        for s in services.values()
        for v in s.get("volumes", [])
        if not str(v).startswith("./")
    }
    assert used == declared


def test_dependencies_wait_for_health_or_completion_of_real_services() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, f"{name} depends on unknown {needed}"
            condition = how["condition"]
            if "healthcheck" in services[needed]:
                assert condition == "service_healthy", (name, needed)
            else:
                assert condition == "service_completed_successfully", (name, needed)
                assert services[needed]["restart"] == "no"


def test_secrets_come_only_from_env_files_that_git_ignores() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for value in (service.get("environment") or {}).values():
            assert not re.search(r"(?i)password|secret|token|://[^/@]*:[^/@]*@", str(value)), (
                f"{name}: a secret in compose.yaml"
            )
        for path in service.get("env_file", []):
            assert path.startswith("compose/secrets/"), path
            assert (EXAMPLES / Path(path).name).is_file(), f"no example for {path}"
    ignored = (DEPLOY / "compose" / "secrets" / ".gitignore").read_text().splitlines()
    assert "*" in ignored


def test_the_cloud_container_is_locked_down() -> None:
    cloud = compose()["services"]["cloud"]
    assert cloud["read_only"] is True and cloud["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in cloud["security_opt"]
    assert cloud["build"]["dockerfile"] == "deploy/container/Dockerfile"
    networks = compose()["networks"]
    assert networks["backend"]["internal"] is True
    assert compose()["services"]["postgres"]["networks"] == ["backend"]


def kfleet_names_in_deploy() -> dict[str, set[str]]:
    """Every KFLEET_* name each deployment file sets."""
    found: dict[str, set[str]] = {}
    cloud_env = compose()["services"]["cloud"]["environment"]
    found["compose.yaml (cloud)"] = set(cloud_env)
    found["cloud.env"] = set(env_file("cloud.env"))
    dockerfile = (DEPLOY / "container" / "Dockerfile").read_text()
    found["Dockerfile"] = set(re.findall(r"\b(KFLEET_[A-Z_]+)=", dockerfile))
    unit = (DEPLOY / "systemd" / "kfleet-cloud.service").read_text()
    found["kfleet-cloud.service"] = set(re.findall(r"^Environment=(KFLEET_[A-Z_]+)=", unit, re.M))
    return found


@pytest.mark.parametrize("where", list(kfleet_names_in_deploy()))
def test_every_kfleet_name_is_a_real_setting(where: str) -> None:
    names = kfleet_names_in_deploy()[where]
    assert names, f"{where} sets no KFLEET_* name: the check would prove nothing"
    assert names <= SETTING_NAMES, names - SETTING_NAMES


def test_broker_env_names_are_settings_or_the_setups_own() -> None:
    names = set(env_file("broker.env"))
    assert names - BROKER_SETUP_ONLY <= SETTING_NAMES
    assert names >= BROKER_SETUP_ONLY


def test_the_example_env_files_agree_with_each_other() -> None:
    cloud, postgres = env_file("cloud.env"), env_file("postgres.env")
    broker = env_file("broker.env")
    database = make_url(cloud["KFLEET_DATABASE_URL"])
    assert database.drivername == "postgresql+psycopg"
    assert (database.username, database.password, database.database) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert database.host == "postgres"
    mqtt = parse_mqtt_url(cloud["KFLEET_MQTT_URL"])
    assert mqtt.host == "mosquitto"
    assert (mqtt.username, mqtt.password) == (
        broker["KFLEET_CLOUD_MQTT_USERNAME"],
        broker["KFLEET_CLOUD_MQTT_PASSWORD"],
    )
    for key in ("KFLEET_BROKER_ADMIN_USERNAME", "KFLEET_BROKER_ADMIN_PASSWORD"):
        assert cloud[key] == broker[key], key


def test_the_examples_make_valid_production_settings() -> None:
    """What the container reads (env file + compose environment + the image's ENV) is a valid
    Settings, not a demo; every secret is still a CHANGE-ME placeholder in the example."""
    dockerfile = (DEPLOY / "container" / "Dockerfile").read_text()
    image_env = dict(re.findall(r"\b(KFLEET_[A-Z_]+)=(\S+)", dockerfile))
    env = {**image_env, **env_file("cloud.env"), **compose()["services"]["cloud"]["environment"]}
    fields = {k.removeprefix("KFLEET_").lower(): v for k, v in env.items()}
    settings = Settings(_env_file=None, **fields)  # type: ignore[call-arg]
    assert settings.demo is False
    assert settings.broker_acl == "dynsec" and settings.tsdb_url.startswith("victoriametrics+")
    assert settings.port == 8080 and str(settings.data_dir) == "/var/lib/kfleet"
    assert "CHANGE-ME" in settings.secret_key.get_secret_value()


def test_the_image_copies_every_package_we_ship_and_runs_as_nobody_special() -> None:
    dockerfile = (DEPLOY / "container" / "Dockerfile").read_text()
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    packages = {name.rstrip("*") for name in shipped}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    assert copied == packages
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim-bookworm$", dockerfile, re.M)
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER 10001:10001$", final_stage, re.M), "the image runs as non-root"
    assert "pip install" not in final_stage, "nothing installed (or fetched) in the run stage"
    assert "-c constraints.txt ." in dockerfile, "the pinned versions, as CI installs them"
