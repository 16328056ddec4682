"""``execapi login`` against the local server's identity provider, scripted without a browser: the
authorization URL the command prints is opened, the sign-in form is posted as a person would, and
the identity provider's redirect is followed to the command's loopback callback."""

from __future__ import annotations

import html.parser
import json
import stat
import subprocess
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import Result

from tests.cli.conftest import LineReader
from tests.e2e.conftest import a_user
from tests.local_server import free_port

pytestmark = pytest.mark.e2e

PROFILE = "local"
EXIT_TIMEOUT_SECONDS = 30


class HiddenFields(html.parser.HTMLParser):
    """The sign-in form's hidden inputs, as a browser would post them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"] or ""] = attributes.get("value") or ""


@pytest.fixture
def profile(local_server: str, local_issuer: str, cli_home: Path) -> Path:
    """A configuration file whose ``local`` profile is the session's server, on a free loopback port."""
    config = cli_home / "config" / "execution-api" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[profiles.{PROFILE}]\nbase_url = "{local_server}"\nissuer = "{local_issuer}"\nredirect_port = {free_port()}\n'
    )
    return config


def session_file(cli_home: Path) -> Path:
    return cli_home / "cache" / "execution-api" / "tokens" / f"{PROFILE}.json"


class Login:
    """``execapi login --no-browser`` running: the authorization URL it printed, and its end."""

    def __init__(self, execapi_process: Callable[..., subprocess.Popen[str]]) -> None:
        self.process = execapi_process("--profile", PROFILE, "login", "--no-browser", "--timeout", "60")
        assert self.process.stderr is not None
        self._stderr = LineReader(self.process.stderr)
        self.url = self._stderr.next_line(lambda line: line.strip().startswith("http")).strip()

    def finish(self) -> subprocess.CompletedProcess[str]:
        assert self.process.stdout is not None
        stdout = self.process.stdout.read()
        self.process.wait(timeout=EXIT_TIMEOUT_SECONDS)
        stderr = "".join(self._stderr.seen + self._stderr.rest())
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, stdout, stderr)


def sign_in(local_server: str, authorization_url: str, email: str, groups: str = "") -> httpx.Response:
    """Opens the sign-in page, posts its form, and follows the redirect to the CLI's callback."""
    page = httpx.get(authorization_url)
    assert page.status_code == 200, page.text
    form = HiddenFields()
    form.feed(page.text)
    origin = local_server.removesuffix("/api/v1")
    answer = httpx.post(
        f"{origin}/local-idp/authorize",
        data={**form.fields, "email": email, "groups": groups, "email_verified": "true"},
    )
    assert answer.status_code == 302, answer.text
    return httpx.get(answer.headers["location"])


def logged_in(
    local_server: str, execapi_process: Callable[..., subprocess.Popen[str]], email: str
) -> subprocess.CompletedProcess[str]:
    login = Login(execapi_process)
    callback = sign_in(local_server, login.url, email)
    assert callback.status_code == 200, callback.text
    return login.finish()


def test_login_signs_in_with_pkce_and_keeps_the_session_readable_by_the_user_only(
    local_server: str,
    local_issuer: str,
    profile: Path,
    cli_home: Path,
    execapi_process: Callable[..., subprocess.Popen[str]],
    execapi: Callable[..., Result],
    api: Callable,
) -> None:
    user = a_user()
    login = Login(execapi_process)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(login.url).query))
    assert login.url.startswith(f"{local_issuer}/authorize?")
    assert (query["code_challenge_method"], query["client_id"]) == ("S256", "execution-api-cli")
    assert query["redirect_uri"].startswith("http://localhost:")
    assert query["state"]

    callback = sign_in(local_server, login.url, user)
    finished = login.finish()

    assert callback.status_code == 200
    assert finished.returncode == 0, finished.stderr
    assert f"as {user} (profile {PROFILE})" in finished.stdout
    assert stat.S_IMODE(session_file(cli_home).stat().st_mode) == 0o600
    assert stat.S_IMODE(session_file(cli_home).parent.stat().st_mode) == 0o700
    status, started, _ = api(user).post("/execution", {"workflow": "batch", "input": {"items": ["a"]}})
    assert status == 201, started
    listed = execapi("--profile", PROFILE, "list", "-o", "json", env={"EXECAPI_BASE_URL": None})
    assert listed.exit_code == 0, listed.stderr
    assert [execution["guid"] for execution in json.loads(listed.stdout)] == [started["run_id"]]
    claims = json.loads(execapi("--profile", PROFILE, "whoami", "-o", "json").stdout)
    assert (claims["email"], claims["aud"]) == (user, "execution-api-cli")

    assert execapi("--profile", PROFILE, "logout").exit_code == 0
    assert not session_file(cli_home).exists()


def test_a_callback_with_another_state_is_refused(
    profile: Path, cli_home: Path, execapi_process: Callable[..., subprocess.Popen[str]]
) -> None:
    login = Login(execapi_process)
    redirect_uri = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(login.url).query))["redirect_uri"]

    forged = httpx.get(redirect_uri, params={"code": "stolen-code", "state": "not-this-sign-in"})
    finished = login.finish()

    assert forged.status_code == 400
    assert finished.returncode == 1
    assert "state does not match" in finished.stderr
    assert not session_file(cli_home).exists()


def test_an_expired_session_is_renewed_and_a_refused_renewal_asks_to_sign_in_again(
    local_server: str,
    profile: Path,
    cli_home: Path,
    execapi_process: Callable[..., subprocess.Popen[str]],
    execapi: Callable[..., Result],
) -> None:
    assert logged_in(local_server, execapi_process, a_user()).returncode == 0
    path = session_file(cli_home)
    path.write_text(json.dumps({**json.loads(path.read_text()), "expires_at": 0}))

    renewed = execapi("--profile", PROFILE, "list", "-o", "json", env={"EXECAPI_BASE_URL": None})

    assert renewed.exit_code == 0, renewed.stderr
    assert json.loads(path.read_text())["expires_at"] > 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    path.write_text(json.dumps({**json.loads(path.read_text()), "expires_at": 0, "refresh_token": "revoked"}))
    refused = execapi("--profile", PROFILE, "list", env={"EXECAPI_BASE_URL": None})

    assert refused.exit_code == 1
    assert f"run `execapi --profile {PROFILE} login`" in refused.stderr
    assert "Traceback" not in refused.output


def test_without_a_session_commands_say_how_to_sign_in(profile: Path, execapi: Callable[..., Result]) -> None:
    result = execapi("--profile", PROFILE, "list", env={"EXECAPI_BASE_URL": None})

    assert result.exit_code == 1
    assert result.stderr == f"Error: not signed in (profile {PROFILE}): run `execapi --profile {PROFILE} login`\n"


def test_a_sign_in_that_never_comes_back_times_out(profile: Path, execapi: Callable[..., Result]) -> None:
    result = execapi("--profile", PROFILE, "login", "--no-browser", "--timeout", "1", env={"EXECAPI_BASE_URL": None})

    assert result.exit_code == 1
    assert "Sign in at:" in result.stderr
    assert "no sign-in within 1 s: run `execapi login` again" in result.stderr


def test_a_session_token_the_api_refuses_says_to_sign_in_again(
    profile: Path, local_issuer: str, cli_home: Path, execapi: Callable[..., Result]
) -> None:
    path = session_file(cli_home)
    path.parent.mkdir(parents=True)
    session = {
        "issuer": local_issuer,
        "client_id": "execution-api-cli",
        "token_endpoint": f"{local_issuer}/token",
        "id_token": "not-a-token-the-api-takes",
        "refresh_token": None,
        "expires_at": 4102444800,  # 2100: no renewal before the request
    }
    path.write_text(json.dumps(session))

    result = execapi("--profile", PROFILE, "list", env={"EXECAPI_BASE_URL": None})

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: Unauthorized (HTTP 401): sign in again with `execapi --profile {PROFILE} login`\n"
    )
