"""The pytest plugin (fixtures batch_server, batch_client, async_batch_client, the marker) via pytester."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(60)

# The spec-evolution runs import the package from a folder, without its entry points: load the plugin by hand
# there, as tests/conftest.py does.
HAS_ENTRY_POINT = any(ep.name == "batch_rest" for ep in importlib.metadata.entry_points(group="pytest11"))
CONFTEST = "" if HAS_ENTRY_POINT else 'pytest_plugins = ["batch_rest.testing.pytest_plugin"]\n'


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\naddopts = --strict-markers -p no:cacheprovider\n")
    return pytester


def test_fixtures(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import asyncio

        import httpx
        import pytest

        import batch_rest
        from batch_rest.testing import FakeBatchServer, Fault

        URLS = []


        def test_server_and_client(batch_server, batch_client):
            assert isinstance(batch_server, FakeBatchServer)
            assert isinstance(batch_client, batch_rest.BatchClient)
            assert batch_client.base_url == batch_server.url
            assert "timeout=5.0" in repr(batch_client)
            codes = [s.code for s in batch_client.segments.list()]
            assert codes == [batch_server.segment(i)["code"] for i in range(250)]
            assert batch_server.seed == 0
            assert len(batch_server.requests) == 3
            URLS.append(batch_server.url)


        def test_the_server_was_stopped_and_each_test_gets_its_own():
            (url,) = URLS
            with pytest.raises(httpx.ConnectError):
                httpx.get(url + "/segments/list")


        @pytest.mark.batch_server(segments=12, seed=3, api_key="custom-key")
        def test_marker(batch_server, batch_client):
            assert (batch_server.segments, batch_server.seed, batch_server.api_key) == (12, 3, "custom-key")
            expected = FakeBatchServer(12, seed=3)
            codes = [s.code for s in batch_client.segments.list(page_size=5)]
            assert codes == [expected.segment(i)["code"] for i in range(12)]


        def test_faults(batch_server, batch_client):
            batch_server.inject(Fault.rate_limit(3600))
            with pytest.raises(batch_rest.RateLimitError):
                batch_client.segments.list_page()


        @pytest.mark.batch_server(segments=30)
        def test_async_client(batch_server, async_batch_client):
            assert isinstance(async_batch_client, batch_rest.AsyncBatchClient)

            async def main():
                async with async_batch_client as client:
                    return [s.code async for s in client.segments.list()]

            assert len(asyncio.run(main())) == 30
            assert batch_server.connections_opened == 1
        """
    )
    result = project.runpytest_inprocess("-v")
    result.assert_outcomes(passed=5)


def test_async_tests_using_the_async_client_need_no_plugin(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        import batch_rest

        RUNS = []


        @pytest.mark.batch_server(segments=30)
        async def test_without_a_marker(batch_server, async_batch_client):
            async with async_batch_client as client:
                codes = [s.code async for s in client.segments.list(page_size=7)]
            assert codes == [batch_server.segment(i)["code"] for i in range(30)]
            RUNS.append("plain")


        @pytest.mark.parametrize("limit", [1, 2])
        async def test_parametrized(async_batch_client, limit):
            async with async_batch_client as client:
                page = await client.segments.list_page(limit=limit)
            assert len(page.items) == limit
            RUNS.append(limit)


        @pytest.mark.anyio
        async def test_with_anyio_s_marker(async_batch_client):
            async with async_batch_client as client:
                assert len(await client.segments.list_page(limit=3)) == 3
            RUNS.append("anyio")


        async def test_a_failure_is_reported(async_batch_client):
            async with async_batch_client as client:
                page = await client.segments.list_page(limit=3)
            assert len(page.items) == 4


        async def test_an_async_test_without_the_fixture_is_left_to_pytest():
            pass


        def test_each_async_test_ran_once():
            assert RUNS == ["plain", 1, 2, "anyio"]
        """
    )
    result = project.runpytest_inprocess("-v")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(["*_ test_a_failure_is_reported _*", "E*assert 3 == 4"])
    result.stdout.fnmatch_lines(
        ["*_ test_an_async_test_without_the_fixture_is_left_to_pytest _*", "async def functions are not natively*"]
    )


def test_marker_is_registered(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.batch_server(segments=250, seed=0, **kwargs):*"])


def test_marker_takes_keywords_only(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.batch_server(100)
        def test_positional(batch_server):
            pass
        """
    )
    result = project.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*keyword arguments only*"])


def test_bad_marker_arguments_fail_the_test_not_the_session(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.batch_server(segments=-5)
        def test_negative(batch_server):
            pass

        def test_unaffected():
            pass
        """
    )
    result = project.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1)


def test_the_plugin_imports_neither_the_server_nor_the_client() -> None:
    code = (
        "import sys, batch_rest.testing.pytest_plugin\n"
        "heavy = ['batch_rest.testing._server', 'http.server', 'socketserver', 'httpx',\n"
        "         'batch_rest._client', 'batch_rest_generated']\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(not HAS_ENTRY_POINT, reason="the package is not installed with its entry points")
def test_the_entry_point_names_the_plugin() -> None:
    (entry_point,) = (ep for ep in importlib.metadata.entry_points(group="pytest11") if ep.name == "batch_rest")
    assert entry_point.value == "batch_rest.testing.pytest_plugin"
