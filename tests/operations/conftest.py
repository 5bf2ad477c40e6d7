"""checks/ holds modules that test_operations.py runs in subprocesses, against regenerated packages: they import
the generated package, which this process does not have on its path, so they are not collected here."""

collect_ignore = ["checks", "typing"]
