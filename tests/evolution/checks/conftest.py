"""Shared by the check modules (run by tests/evolution/test_spec_evolution.py in a subprocess): the fixtures
every run against a regenerated package has (fixtures/checks.py)."""

from fixtures.checks import _no_environment_overrides, _regenerated_package_is_under_test, kind

__all__ = ["_no_environment_overrides", "_regenerated_package_is_under_test", "kind"]
