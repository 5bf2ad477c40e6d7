"""The fake server's shell command (`batch-rest fake-server`, which runs batch_rest.testing._cli), in a subprocess
driven over loopback with httpx, and its option parsing in process."""

from __future__ import annotations

import argparse
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from batch_rest.testing import RateLimit, _cli

pytestmark = pytest.mark.timeout(60)


class Running:
    def __init__(self, *options: str) -> None:
        command = [sys.executable, "-m", "batch_rest", "fake-server", *options]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.banner = [self.process.stdout.readline() for _ in range(4)]
        self.url = re.search(r"at (http://\S+) ", self.banner[0]).group(1)  # type: ignore[union-attr]
        self.headers = {"Authorization": "Bearer demo-rest-api-key", "X-Batch-Project": "demo-project-key"}

    def get(self, path: str = "/segments/list") -> httpx.Response:
        return httpx.get(self.url + path, headers=self.headers, timeout=10)

    def interrupt(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGINT)
        stdout, stderr = self.process.communicate(timeout=10)
        return self.process.returncode, stdout, stderr


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for each in started:
        each.process.kill()
        each.process.communicate()


def test_serves_with_latency_rate_limit_and_access_log_until_ctrl_c(running: list[Running]) -> None:
    server = Running("--segments", "7", "--latency", "0.2", "--rate-limit", "0.5/s", "-v")
    running.append(server)
    assert server.banner[0].startswith(f"# fake Batch API with 7 segments at {server.url} (Ctrl-C to stop)")
    assert server.banner[1:] == [
        f"export BATCH_BASE_URL={server.url}\n",
        "export BATCH_REST_API_KEY=demo-rest-api-key\n",
        "export BATCH_PROJECT_KEY=demo-project-key\n",
    ]
    started = time.perf_counter()
    first = server.get()
    assert time.perf_counter() - started >= 0.2
    assert (first.status_code, first.json()["count"]) == (200, 7)
    refused = server.get()
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "2")
    status, stdout, stderr = server.interrupt()
    assert status == 0
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 2, stderr
    assert re.fullmatch(r"\d\d:\d\d:\d\d GET /[0-9.]+/segments/list 200 \d+\.\d ms", lines[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d GET /[0-9.]+/segments/list 429 \d+\.\d ms fault=rate_limit", lines[1])


def test_serves_a_per_operation_limit(running: list[Running]) -> None:
    server = Running("--limit", "segments_list=0.01 requests/s,burst=3,retry-after", "-v")  # then one in 100 s
    running.append(server)
    assert server.process.stdout is not None
    assert server.process.stdout.readline() == "# rate limits: segments_list 0.01 requests/s (burst 3), Retry-After\n"
    answers = [server.get() for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert (answers[3].headers["retry-after"], answers[3].json()["error_code"]) == ("100", "TOO_MANY_REQUESTS")
    assert server.get("/nowhere").status_code == 404  # the limit is the operation's
    status, stdout, stderr = server.interrupt()
    assert (status, stdout) == (0, "")
    assert [line.endswith(" fault=rate_limit") for line in stderr.splitlines()] == [False] * 3 + [True, False]


def test_documented_limits_of_a_document_without_any(running: list[Running]) -> None:
    # The shipped document has only segments/list, for which Batch documents no limit (the chunkable operations'
    # documented limits are served in tests/operations/checks/check_fake_server_limits.py).
    server = Running("--documented-limits")
    running.append(server)
    assert [server.get().status_code for _ in range(30)] == [200] * 30
    assert server.interrupt()[:2] == (0, "")  # and no "# rate limits" line


def test_fault_rate_faults_requests(running: list[Running]) -> None:
    server = Running("--fault-rate", "1", "--seed", "3")
    running.append(server)
    outcomes = []
    for _ in range(12):
        try:
            outcomes.append(server.get().status_code)
        except httpx.RemoteProtocolError:
            outcomes.append("dropped")
    assert set(outcomes) <= {500, 503, 429, "dropped"}
    assert len(set(outcomes)) >= 2  # drawn from several faults
    assert server.interrupt()[0] == 0


def parse(*options: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _cli.add_arguments(parser)
    return parser.parse_args(options)


def test_defaults() -> None:
    args = parse()
    assert (args.host, args.port, args.segments, args.seed) == ("127.0.0.1", 0, 2500, 0)
    assert (args.latency, args.fault_rate, args.rate_limit, args.verbose) == (0.0, 0.0, None, False)
    assert parse("--rate-limit", "10/s").rate_limit == 10.0
    assert parse("--rate-limit", "0.5").rate_limit == 0.5
    assert (args.documented_limits, args.limits) == (False, {})


@pytest.mark.parametrize(
    ("option", "limit"),
    [
        ("segments_list=20000/s,burst=2000", RateLimit(items_per_second=20_000, items_burst=2_000)),
        ("segments_list=300 items/s", RateLimit(items_per_second=300)),
        ("segments_list = 0.5 req/s", RateLimit(requests_per_second=0.5)),
        (
            "segments_list=1000/s, burst=1500, 5 requests/s, burst=5, retry-after",
            RateLimit(
                items_per_second=1000, items_burst=1500, requests_per_second=5, requests_burst=5, retry_after=True
            ),
        ),
        ("segments_list=5 requests / s,2.5/s,burst=2.5", RateLimit(2.5, 2.5, 5)),
    ],
)
def test_limits(option: str, limit: RateLimit) -> None:
    assert parse("--limit", option, "--documented-limits").limits == {"segments_list": limit}
    assert parse("--limit", option, "--documented-limits").documented_limits is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--latency", "-1"], "seconds >= 0"),
        (["--latency", "inf"], "seconds >= 0"),
        (["--fault-rate", "1.5"], "probability from 0 to 1"),
        (["--fault-rate", "often"], "probability"),
        (["--rate-limit", "0/s"], "such as 10/s"),
        (["--rate-limit", "ten/s"], "such as 10/s"),
        (["--rate-limit", "10/min"], "such as 10/s"),
        (["--limit", "20000/s"], "expected OPERATION=RATE[,burst=N]"),
        (["--limit", "=20000/s"], "expected OPERATION=RATE[,burst=N]"),
        (["--limit", "profiles_nope=20000/s"], "no operation 'profiles_nope' in 'profiles_nope=20000/s'; known: "),
        (["--limit", "segments_list="], "cannot read '' in 'segments_list=': expected OPERATION=RATE"),
        (["--limit", "segments_list=burst=5,10/s"], "burst= must follow its RATE in 'segments_list=burst=5,10/s'"),
        (["--limit", "segments_list=10/min"], "cannot read '10/min'"),
        (["--limit", "segments_list=10/s,burst=0"], "items_burst must be a finite number >= 1"),
        (["--limit", "segments_list=0 requests/s"], "requests_per_second must be a finite number > 0"),
        (["--limit", "segments_list=10/s,20/s"], "items per second given twice"),
        (["--limit", "segments_list=10/s,burst=1,burst=2"], "items burst given twice"),
        (["--limit", "segments_list=10/s", "--limit", "segments_list=5/s"], "segments_list is given twice"),
    ],
)
def test_bad_options_are_usage_errors(capsys: pytest.CaptureFixture[str], options: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(*options)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        assert _cli.run(parse("--port", str(taken.getsockname()[1]))) == _cli.EXIT_CONFIG
    assert capsys.readouterr().err.startswith("batch-rest: cannot start the fake server: ")


def test_importing_the_command_loads_no_server() -> None:
    code = (
        "import sys, batch_rest.testing._cli\n"
        "heavy = ['batch_rest.testing._server', 'batch_rest._seam', 'socketserver', 'httpx', 'batch_rest_generated']\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert result.stdout.strip() == "[]"
