"""schemathesis hooks for end2end/tests/api-fuzz.spec.ts (loaded through SCHEMATHESIS_HOOKS).

The run authenticates with an API token of the seeded workspace's admin. Revoking a token is one
of the operations fuzzed, and schemathesis reuses identifiers it has seen in earlier answers, so
it sooner or later revokes the very token it is using: a fine finding of nothing wrong, after
which every request would be a 401 and the rest of the run would test nothing. So the token comes
from an auth provider here rather than the command line, and when an answer says the token is no
longer valid, a new one is made with the operator command (`bastion token create`), as the spec
made the first. The request that met the revoked token keeps its 401 and is checked like any
other.

Likewise the seeded project, which generated tasks are made in (end2end/schemathesis.toml): the
documented example of a project change archives it, and in an archived project no task can be
made, so once an answer shows it archived, it is reopened. And the seeded task, which generated
time entries are recorded on: once it is deleted, a new one takes its place in their bodies.
"""

import os
import subprocess
import threading

import requests
import schemathesis

_lock = threading.RLock()
_token = os.environ["BASTION_FUZZ_TOKEN"]
_minted = 0
_seeded_task = os.environ["BASTION_FUZZ_TASK"]
_task = _seeded_task


def _mint() -> str:
    global _minted
    _minted += 1
    result = subprocess.run(
        [
            os.environ["BASTION_BIN"],
            "token",
            "create",
            os.environ["BASTION_FUZZ_WORKSPACE"],
            os.environ["BASTION_FUZZ_ADMIN"],
            "--name",
            f"fuzz-{_minted}",
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    return result.stdout.strip()


@schemathesis.auth(refresh_interval=None)
class CurrentToken:
    """The token as an auth provider rather than a header set on every request: schemathesis
    then knows it is real, and its `ignored_auth` check sends each operation once without it and
    once with a wrong one, which must be refused."""

    def get(self, case, context):
        with _lock:
            return _token

    def set(self, case, data, context):
        if case.headers is None:
            case.headers = {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(context, case, kwargs):
    with _lock:
        if isinstance(case.body, dict) and case.body.get("task_id") == _seeded_task:
            case.body["task_id"] = _task


@schemathesis.hook
def after_call(context, case, response):
    try:
        body = response.json()
    except Exception:
        return
    if response.status_code == 401 and _code(body) == "invalid_token":
        _renew_token(case)
    elif (
        response.status_code == 200
        and isinstance(body, dict)
        and body.get("id") == os.environ["BASTION_FUZZ_PROJECT"]
        and body.get("archived") is True
    ):
        _reopen_project(response)
    elif (
        response.status_code == 204
        and response.request.method == "DELETE"
        and response.request.url.split("?")[0].endswith(f"/tasks/{_task}")
    ):
        _replace_task(response)


def _code(body):
    try:
        return body["error"]["code"]
    except Exception:
        return None


def _renew_token(case):
    global _token
    sent = (case.headers or {}).get("Authorization", "")
    with _lock:
        # Another worker may have replaced it already.
        if sent == f"Bearer {_token}":
            _token = _mint()


def _api(method, url, body):
    """A request of our own with the current token, renewed first if it was just revoked."""
    global _token
    with _lock:
        for _ in range(2):
            answer = requests.request(
                method, url, json=body, headers={"Authorization": f"Bearer {_token}"}, timeout=20
            )
            if answer.status_code != 401:
                break
            _token = _mint()
        answer.raise_for_status()
        return answer


def _reopen_project(response):
    _api("PATCH", response.request.url.split("?")[0], {"archived": False})


def _replace_task(response):
    global _task
    base = response.request.url.split("/tasks/")[0]
    with _lock:
        created = _api(
            "POST",
            f"{base}/tasks",
            {"project_id": os.environ["BASTION_FUZZ_PROJECT"], "title": "Fuzzed task"},
        )
        _task = created.json()["id"]
