"""Run one Python block of README.md as a user would paste it, with a fake Batch server behind the environment.

    python tests/readme/run_block.py <block.py> <line>     (test_readme.py runs it, in a subprocess)

`<line>` is the README line the block's code starts on: the code is compiled as README.md's, so that a traceback
points at the README. Before the block runs, a FakeBatchServer of the package on the path (the shipped one, or one
regenerated with the fixture pages the README names) is started and BATCH_REST_API_KEY, BATCH_PROJECT_KEY and
BATCH_BASE_URL point at it, as a user's shell would point them at Batch. A block with top-level `await`, `async
with` or `async for` (the async examples) is compiled as an asyncio REPL does and run with asyncio.run. The last
line of output is a JSON report: how many requests the server received.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import sys
from pathlib import Path

from batch_rest.testing import FakeBatchServer

REPORT_PREFIX = "readme-block-report: "


def main(argv: list[str]) -> int:
    path, first_line = Path(argv[1]), int(argv[2])
    source = "\n" * (first_line - 1) + path.read_text(encoding="utf-8")
    code = compile(source, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    with FakeBatchServer() as server:
        os.environ.update(
            BATCH_REST_API_KEY=server.api_key, BATCH_PROJECT_KEY=server.project_key, BATCH_BASE_URL=server.url
        )
        namespace = {"__name__": "__main__", "__file__": str(path)}
        result = eval(code, namespace)  # a coroutine when the block awaits at top level
        if inspect.iscoroutine(result):
            asyncio.run(result)
        requests = len(server.requests)
    sys.stdout.flush()
    print(REPORT_PREFIX + json.dumps({"requests": requests}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
