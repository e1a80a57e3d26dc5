"""Static checks of the Docker deployment: docker-compose.yml, Dockerfile, .dockerignore, .env.example.

Nothing here runs Docker; the files are parsed and compared with the repository and with each other.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
ENV_EXAMPLE = REPO / ".env.example"

AIRFLOW_VERSION = "3.3.2"
BASE_IMAGE = f"apache/airflow:{AIRFLOW_VERSION}-python3.11"
AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)
LONG_RUNNING_AIRFLOW_SERVICES = tuple(s for s in AIRFLOW_SERVICES if s != "airflow-init")
EXECUTION_API_URL = "http://airflow-apiserver:8080/execution/"
DAGS_FOLDER = "/opt/airflow/dags"

SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|FERNET", re.IGNORECASE)
#: ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, ``${NAME:?message}`` ... (not ``$${...}``).
INTERPOLATION = re.compile(
    r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
)
#: The whole value is one ``${NAME:?message}``: compose stops when the variable is unset or empty.
REQUIRED_INTERPOLATION = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):\?[^}]*\}$")
PLACEHOLDER = "change-me"


# --- helpers -------------------------------------------------------------------------------------


def _compose_text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


def _unescaped(text: str) -> str:
    """Drop ``$$`` escapes (a literal ``$`` for the container's shell) before looking for ``${``."""
    return text.replace("$$", "")


def _compose_strings() -> list[str]:
    """Every key and value compose interpolates (comments excluded), ``$$`` escapes dropped."""
    data = yaml.safe_load(_compose_text())
    strings = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            strings.extend(str(key) for key in node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif node is not None:
            strings.append(_unescaped(str(node)))
    return strings


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load(_compose_text())  # resolves the x-airflow-common anchors and << merges
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _defaults_only(text: str) -> str:
    """Interpolate the way compose does with no variables set, using ``:-`` defaults."""

    def replace(match: re.Match[str]) -> str:
        if match["op"] in (":-", "-"):
            return match["arg"]
        return f"<{match['name']}>"

    return INTERPOLATION.sub(replace, text)


def _mounts(service: dict) -> list[tuple[str, str]]:
    """(host source or volume name, container target) of each mount, defaults interpolated."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts.append((_defaults_only(str(volume["source"])), str(volume["target"])))
        else:
            source, target, *_mode = _defaults_only(volume).split(":")
            mounts.append((source, target))
    return mounts


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assert "=" in line, f".env.example line is not NAME=value: {line!r}"
        name, value = line.split("=", 1)
        values[name.strip()] = value.strip().strip("'\"")
    return values


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def _copy_sources() -> list[str]:
    sources = []
    for keyword, rest in _dockerfile_instructions():
        if keyword not in ("COPY", "ADD"):
            continue
        parts = [p for p in rest.split() if not p.startswith("--")]
        assert len(parts) >= 2, f"COPY without source and destination: {rest!r}"
        sources.extend(parts[:-1])
    return sources


def _command_text(service: dict) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else "\n".join(str(part) for part in command)


# --- services --------------------------------------------------------------------------------------


def test_expected_services_exist_and_no_celery(services: dict) -> None:
    assert set(services) >= {"postgres", *AIRFLOW_SERVICES}
    assert not {"redis", "airflow-worker", "flower"} & set(services)
    assert not any("celery" in text.lower() for text in _compose_strings())


def test_airflow_services_are_built_from_the_repo_dockerfile(compose: dict, services: dict) -> None:
    assert "x-airflow-common" in compose
    images = set()
    for name in AIRFLOW_SERVICES:
        build = services[name].get("build")
        assert isinstance(build, dict), f"{name} has no build section"
        assert (REPO / build["context"]).resolve() == REPO, name
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile", name
        assert (REPO / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()
        images.add(services[name].get("image"))
    assert len(images) == 1, f"Airflow services name different images: {images}"


def test_commands(services: dict) -> None:
    assert services["airflow-apiserver"]["command"] == "api-server"
    assert services["airflow-scheduler"]["command"] == "scheduler"
    assert services["airflow-dag-processor"]["command"] == "dag-processor"
    assert services["airflow-triggerer"]["command"] == "triggerer"


def test_airflow_services_share_core_settings(services: dict) -> None:
    common = {}
    for name in AIRFLOW_SERVICES:
        env = _env(services[name])
        assert env.get("AIRFLOW__CORE__EXECUTOR") == "LocalExecutor", name
        assert env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL") == EXECUTION_API_URL, name
        assert env.get("AIRFLOW__CORE__DAGS_FOLDER") == DAGS_FOLDER, name
        assert env.get("AIRFLOW__CORE__LOAD_EXAMPLES") == "false", name
        conn = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
        assert conn.startswith("postgresql"), name
        assert "@postgres/" in conn or "@postgres:5432/" in conn, name
        jwt = env.get("AIRFLOW__API_AUTH__JWT_SECRET", "")
        assert REQUIRED_INTERPOLATION.match(jwt), f"{name}: JWT secret must come from .env"
        for key in (
            "AIRFLOW__API_AUTH__JWT_SECRET",
            "AIRFLOW__CORE__FERNET_KEY",
            "AIRFLOW__API__SECRET_KEY",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        ):
            common.setdefault(key, set()).add(env.get(key))
        env_files = services[name].get("env_file")
        env_files = [env_files] if isinstance(env_files, str) else env_files or []
        assert ".env" in [e if isinstance(e, str) else e.get("path") for e in env_files], name
    for key, values in common.items():
        assert len(values) == 1, f"{key} differs between Airflow services: {values}"


def test_execution_api_url_points_at_the_api_server(services: dict) -> None:
    api = services["airflow-apiserver"]
    assert any(str(port).endswith(":8080") for port in api["ports"])
    health = " ".join(api["healthcheck"]["test"])
    assert "localhost:8080/api/v2/version" in health or "/api/v2/monitor/health" in health


def test_pipeline_settings(services: dict) -> None:
    for name in AIRFLOW_SERVICES:
        env = _env(services[name])
        assert env["WORKFORCE_DATA_DIR"] == "/opt/airflow/workforce-data"
        assert env["WORKFORCE_LANDING_DIR"] == "/opt/airflow/landing"
        assert env["WORKFORCE_DBT_PROJECT_DIR"] == "/opt/airflow/dbt_project"
        assert env["WORKFORCE_EXPECTATIONS_DIR"] == "/opt/airflow/expectations"
        assert env["WORKFORCE_DUCKDB_MEMORY_LIMIT"]
        assert env["WORKFORCE_DUCKDB_THREADS"]
        assert env["WORKFORCE_LA_CODE"]
        if name == "airflow-scheduler":  # LocalExecutor runs the tasks there
            assert REQUIRED_INTERPOLATION.match(env["WORKFORCE_PSEUDONYMISATION_KEY"]), name
        else:
            assert "WORKFORCE_PSEUDONYMISATION_KEY" not in env, f"{name} does not run tasks: no key"
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in env, name
        mounts = dict((target, source) for source, target in _mounts(services[name]))
        assert mounts.get("/opt/airflow/workforce-data"), f"{name}: no data volume"
        assert mounts.get("/opt/airflow/workforce-data/published") == "./data/published", name
        assert mounts.get("/opt/airflow/landing") == "./data/landing", name
        assert "${WORKFORCE_LANDING_HOST_DIR:-./data/landing}" in _compose_text()


def test_dags_folder_is_the_repo_dags_dir(services: dict) -> None:
    for name in AIRFLOW_SERVICES:
        mounts = {target: source for source, target in _mounts(services[name])}
        if DAGS_FOLDER in mounts:
            assert (REPO / mounts[DAGS_FOLDER]).resolve() == REPO / "dags", name
    copies = [rest for keyword, rest in _dockerfile_instructions() if keyword == "COPY"]
    assert any(
        re.search(rf"\sdags/?\s+{re.escape(DAGS_FOLDER)}/?$", f" {rest}") for rest in copies
    ), "the image does not bake dags/ into the DAGS_FOLDER"
    assert (REPO / "dags").is_dir()


def test_workforce_monthly_dag_is_in_the_mounted_folder(services: dict) -> None:
    dag_file = REPO / "dags" / "workforce_monthly.py"
    if not dag_file.exists():
        pytest.skip("dags/workforce_monthly.py is not written yet")
    mounts = {target: source for source, target in _mounts(services["airflow-dag-processor"])}
    source = (REPO / mounts.get(DAGS_FOLDER, "dags")).resolve()
    assert dag_file.resolve().parent == source
    assert PurePosixPath(DAGS_FOLDER, dag_file.name) == PurePosixPath(
        "/opt/airflow/dags/workforce_monthly.py"
    )


def test_named_volumes_are_declared(compose: dict, services: dict) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for source, _target in _mounts(service):
            if not source.startswith((".", "/", "~", "<")):
                assert source in declared, f"{name} uses undeclared volume {source}"
    postgres_mounts = {target for _s, target in _mounts(services["postgres"])}
    assert "/var/lib/postgresql/data" in postgres_mounts


def test_postgres(services: dict) -> None:
    postgres = services["postgres"]
    assert str(postgres["image"]).startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert REQUIRED_INTERPOLATION.match(_env(postgres)["POSTGRES_PASSWORD"])


def test_startup_order(services: dict) -> None:
    assert services["airflow-init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in LONG_RUNNING_AIRFLOW_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
    assert (
        services["airflow-scheduler"]["depends_on"]["airflow-apiserver"]["condition"]
        == "service_healthy"
    )


def test_init_migrates_and_creates_admin_and_no_pool_is_needed(services: dict) -> None:
    command = _command_text(services["airflow-init"])
    assert "airflow db migrate" in command
    assert "airflow users create" in command
    assert "pools set" not in command  # the warehouse lock keeps one writer (workforce.locking)
    assert "WORKFORCE_PSEUDONYMISATION_KEY" not in command
    assert "set -euo pipefail" in command


# --- secrets -------------------------------------------------------------------------------------


def test_no_secret_has_a_literal_value(compose: dict, services: dict) -> None:
    for name, service in {**services, "x-airflow-common": compose["x-airflow-common"]}.items():
        for key, value in _env(service).items():
            if SECRET_NAME.search(key):
                assert REQUIRED_INTERPOLATION.match(value), (
                    f"{name}: {key} must be ${{VAR:?message}} from .env, not {value!r}"
                )
        conn = _env(service).get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
        if conn:
            userinfo = conn.split("://", 1)[1].rsplit("@", 1)[0]
            password = userinfo.split(":", 1)[1]
            assert REQUIRED_INTERPOLATION.match(password), f"{name}: literal database password"


def test_no_secret_variable_has_a_default() -> None:
    for text in _compose_strings():
        for match in INTERPOLATION.finditer(text):
            if SECRET_NAME.search(match["name"]):
                assert match["op"] in (None, ":?", "?"), f"secret with a default: {match[0]}"
    # Nothing that looks like a generated key or a Fernet key is written into the file.
    assert not re.search(r"[A-Za-z0-9_\-]{43}=", _compose_text())


def test_env_example_covers_every_interpolated_variable() -> None:
    example = _env_example()
    strings = _compose_strings()
    used = {m["name"] for text in strings for m in INTERPOLATION.finditer(text)}
    bare = [v for text in strings for v in re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text)]
    assert not bare, f"use ${{VAR}} (compose) or $${{VAR}} (container shell), not $VAR: {bare}"
    missing = used - set(example)
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_env_example_holds_only_placeholders_for_secrets() -> None:
    example = _env_example()
    secrets = {name: value for name, value in example.items() if SECRET_NAME.search(name)}
    assert secrets, "no secrets in .env.example?"
    for name, value in secrets.items():
        assert value.startswith(PLACEHOLDER), f"{name} in .env.example must be {PLACEHOLDER!r}"
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert "Fernet.generate_key()" in text
    assert "secrets.token_" in text


def test_env_file_is_kept_out_of_git_and_the_image() -> None:
    gitignore = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in [line.strip() for line in gitignore]
    patterns = _dockerignore()
    assert patterns[0] == "*", ".dockerignore should start by excluding everything"
    reincluded = {p[1:].strip("/") for p in patterns if p.startswith("!")}
    assert not reincluded & {".env", "data", ".venv", ".git"}


def test_no_absolute_paths_of_this_machine() -> None:
    for path in (COMPOSE_FILE, DOCKERFILE, DOCKERIGNORE, ENV_EXAMPLE, Path(__file__)):
        text = path.read_text(encoding="utf-8")
        assert str(REPO) not in text, path.name
        assert str(Path.home()) not in text or str(Path.home()) == "/", path.name


# --- Dockerfile ----------------------------------------------------------------------------------


def _dockerignore() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerfile_base_image_matches_the_project_pins() -> None:
    froms = [rest for keyword, rest in _dockerfile_instructions() if keyword == "FROM"]
    assert froms == [BASE_IMAGE]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"apache-airflow=={AIRFLOW_VERSION}" in pyproject["project"]["dependencies"]
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines()
    assert f"apache-airflow=={AIRFLOW_VERSION}" in lock
    assert pyproject["project"]["requires-python"] == ">=3.11,<3.13"


def test_dockerfile_installs_with_the_lock_as_constraints() -> None:
    runs = [rest for keyword, rest in _dockerfile_instructions() if keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]
    assert installs, "no pip install in the Dockerfile"
    assert any(
        re.search(r"pip install\b.*\s-c\s+\S*requirements\.lock\s+'\.\[postgres\]'(\s|$)", run) for run in installs
    ), "the image installs the package with its PostgreSQL drivers ('.[postgres]') under the lock"
    assert all("--no-cache-dir" in run for run in installs)
    assert not any(re.search(r"\s-e\s|--editable", run) for run in installs)


def test_dockerfile_copies_paths_that_exist_and_are_in_the_build_context() -> None:
    sources = _copy_sources()
    assert {"pyproject.toml", "requirements.lock", "include/"} <= set(sources)
    reincluded = {p[1:].strip("/") for p in _dockerignore() if p.startswith("!")}
    for source in sources:
        assert not Path(source).is_absolute(), source
        assert (REPO / source).exists(), f"Dockerfile copies missing path {source}"
        top = PurePosixPath(source).parts[0]
        assert top in reincluded, f"{source} is excluded by .dockerignore"


def test_dockerfile_bakes_project_dirs_where_compose_points() -> None:
    copies = " | ".join(rest for keyword, rest in _dockerfile_instructions() if keyword == "COPY")
    assert "dbt_project/ /opt/airflow/dbt_project/" in copies
    assert "expectations/ /opt/airflow/expectations/" in copies
