"""Benchmark 7's measuring process: POST /profiles/update with 200 edits to an in-memory transport.

Run by bench/run.py in a subprocess whose PYTHONPATH puts first a package regenerated with the profiles-update
fixture page, among others (tests/fixtures/regen.py): the shipped document has no POST. Prints the timings as JSON.

- generated:      the bare generated call, `profiles_update.sync_detailed(client=..., body=<200 models>)`
- wrapper:        `client.profiles.update(body=<200 models>)`, which also checks the JSON against the schema
- wrapper dicts:  the same with the edits as plain dicts (checked, then sent verbatim)
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import httpx
from _timing import interleaved

from batch_rest import BatchClient
from batch_rest_generated import AuthenticatedClient
from batch_rest_generated.api.profiles import profiles_update
from batch_rest_generated.models import EditProfile

API_KEY, PROJECT_KEY, BASE_URL = "bench-key", "bench-project", "https://api.batch.com/2.11"
EDITS = 200
ANSWER = b'{"code":"SUCCESS"}'


def edit(index: int) -> dict[str, Any]:
    return {
        "identifiers": {"custom_id": f"user-{index}"},
        "attributes": {"plan": "gold", "age": 30 + index % 40, "city": "Paris", "opt_in": index % 2 == 0},
        "events": [{"name": "purchase", "attributes": {"amount": index * 1.5, "currency": "EUR"}}],
    }


def handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(202, headers={"Content-Type": "application/json"}, content=ANSWER)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    dicts = [edit(i) for i in range(EDITS)]
    models = [EditProfile.from_dict(d) for d in dicts]
    transport = httpx.MockTransport(handler)
    generated = AuthenticatedClient(base_url=BASE_URL, token=API_KEY)
    generated.set_httpx_client(
        httpx.Client(transport=transport, base_url=BASE_URL, headers={"Authorization": f"Bearer {API_KEY}"})
    )
    wrapper = BatchClient(API_KEY, PROJECT_KEY, base_url=BASE_URL, http_client=httpx.Client(transport=transport))

    def run_generated() -> str:
        for _ in range(args.calls):
            answer = profiles_update.sync_detailed(client=generated, body=models, x_batch_project=PROJECT_KEY).parsed
        return answer.code  # type: ignore[union-attr]

    def run_wrapper(body: list[Any]) -> str:
        for _ in range(args.calls):
            answer = wrapper.profiles.update(body=body)
        return str(answer.code)

    def check(name: str, result: Any) -> None:
        if result != "SUCCESS":
            raise AssertionError(f"{name} returned {result!r}")

    timings = interleaved(
        {
            "generated": run_generated,
            "wrapper": lambda: run_wrapper(models),
            "wrapper dicts": lambda: run_wrapper(dicts),
        },
        rounds=args.rounds,
        check=check,
        label="7",
    )
    request = httpx.Request("POST", BASE_URL, json=dicts)
    print(json.dumps({"cpu": timings.cpu, "calls": args.calls, "edits": EDITS, "body_bytes": len(request.content)}))


if __name__ == "__main__":
    main()
