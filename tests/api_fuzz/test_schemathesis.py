"""An outside fuzzer finds nothing: Schemathesis, every check and every phase, against the real
cloud (``kfleet cloud run`` over HTTP) on SQLite and on PostgreSQL, with Mosquitto and an
online kiosk that finishes everything at once.

Any finding fails the test with Schemathesis's report (each failure with a ``curl`` line that
reproduces it) and the end of the cloud's log. Settings: ``schemathesis.toml`` beside this file.
Run alone: ``python -m pytest tests/api_fuzz`` (docs/api.md, "How the API is fuzzed").
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_fuzz.cloud_process import HOOK_SECRET, CloudProcess, cloud_process
from tests.api_fuzz.instant_kiosk import KIOSK_ID, InstantKiosk
from tests.faults.databases import fresh_postgres

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
#: serializers for the bodies that are not JSON (SDP offers, issue 16)
HOOKS = Path(__file__).resolve().parent / "fuzz_hooks.py"
#: the whole run per database; the configured max-examples kept it near two minutes with
#: issue 12's routes on a quiet machine, and 388 s on CI's loaded one with issue 15's
RUN_TIMEOUT_S = 720.0
#: examples per operation and phase on PostgreSQL: that run is for what only PostgreSQL
#: refuses (NUL characters, integer overflow, strict types), which the dictionaries draw into
#: most examples; the whole schema is fuzzed at the configured max-examples on SQLite
POSTGRES_MAX_EXAMPLES = 30

pytestmark = [pytest.mark.mosquitto, pytest.mark.timeout(RUN_TIMEOUT_S + 60)]


@pytest.fixture
def fresh_postgres_url(postgres_url: str, uid: str) -> Iterator[str]:
    """A fresh PostgreSQL database dropped afterwards (the ``postgres_url`` fixture fails under
    KFLEET_REQUIRE_SERVERS=1). Used by ``test_schemathesis_postgres.py``: a file of its own,
    so pytest-xdist's ``--dist loadfile`` runs the two databases' fuzzing on two workers."""
    with fresh_postgres(postgres_url, f"kf_fuzz_{uid}") as url:
        yield url


def schemathesis_command(
    base_url: str, report_dir: Path, token: str, max_examples: int | None = None
) -> list[str]:
    binary = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert binary, "schemathesis is not installed: pip install -c constraints.txt -e '.[test]'"
    return [
        binary,
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{base_url}/openapi.json",
        # an administrator over the whole pilot tree; the ignored_auth check (in "all") also
        # sends each operation without it and with a wrong one, and expects a refusal
        "--header",
        f"Authorization: Bearer {token}",
        # revoking a token: the stateful phase finds the fuzzer's own token in GET
        # /api/v1/tokens and revokes it, and every later request is a 401 (tests/people
        # covers revocation)
        "--exclude-path",
        "/api/v1/tokens/{token_id}",
        # KFLEET_FUZZ_ONLY: a path regex, to fuzz only the routes one is building (the full
        # run, as CI does it, takes minutes)
        *(["--include-path-regex", only] if (only := os.environ.get("KFLEET_FUZZ_ONLY")) else []),
        *(["--max-examples", str(max_examples)] if max_examples else []),
        "--checks",
        "all",  # the config enables every check too; said here so a reader sees it
        "--phases",
        # the stateful phase follows links across the whole API: not with KFLEET_FUZZ_ONLY
        "examples,coverage,fuzzing" + ("" if os.environ.get("KFLEET_FUZZ_ONLY") else ",stateful"),
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        "--header",
        f"X-Kfleet-Hook-Secret: {HOOK_SECRET}",  # the broker hooks (else all 503)
    ]


async def _kiosk_online(cloud: CloudProcess) -> None:
    async with (
        httpx.AsyncClient(base_url=cloud.base_url, headers=cloud.headers) as client,
        asyncio.timeout(30),
    ):
        while not (await client.get(f"/api/v1/devices/{KIOSK_ID}")).json().get("online"):  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # another process's state, seen only through its API


async def _schema_built(cloud: CloudProcess) -> None:
    """Ask for the OpenAPI document once before Schemathesis does: the app builds it on the
    first request (seconds, for this many routes, on a loaded machine), and Schemathesis gives
    up loading it after 10 s."""
    async with httpx.AsyncClient(base_url=cloud.base_url, timeout=120) as client:
        (await client.get("/openapi.json")).raise_for_status()


async def run_schemathesis(
    cloud: CloudProcess, tmp: Path, max_examples: int | None = None
) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *schemathesis_command(cloud.base_url, tmp / "report", cloud.token, max_examples),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp,  # its cache (.schemathesis/) stays in the test's tmp dir
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )
    try:
        async with asyncio.timeout(RUN_TIMEOUT_S):
            out, _ = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(errors="replace")


async def test_schemathesis_finds_nothing(mosquitto_url: str, tmp_path: Path) -> None:
    """The whole API fuzzed on the cloud's default database (SQLite in its data dir)."""
    await fuzz_the_api("", mosquitto_url, tmp_path)


async def fuzz_the_api(
    database_url: str, mosquitto_url: str, tmp_path: Path, max_examples: int | None = None
) -> None:
    async with (
        cloud_process(tmp_path, database_url, mosquitto_url) as cloud,
        InstantKiosk(mosquitto_url) as kiosk,
    ):
        await kiosk.birth()
        await _kiosk_online(cloud)
        await _schema_built(cloud)
        code, report = await run_schemathesis(cloud, tmp_path, max_examples)
    print(report)  # shown with -s, and by pytest on a failure
    print(f"the fuzz kiosk answered {kiosk.answered} commands (jobs, calls)")
    assert code == 0, (
        f"Schemathesis found problems (exit {code}):\n{report}\n"
        f"--- end of the cloud's log ---\n{cloud.log_tail()}"
    )
    assert "Test cases:" in report and " generated" in report, report
    # the fuzzer got past validation and lookups: jobs ran and calls reached the kiosk (on the
    # whole API; a KFLEET_FUZZ_ONLY selection may hold no job route)
    selected = bool(os.environ.get("KFLEET_FUZZ_ONLY"))
    assert kiosk.answered > 0 or selected, "no fuzzed job or call reached the kiosk"
