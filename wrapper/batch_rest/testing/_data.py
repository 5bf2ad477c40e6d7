"""The items the fake server's cursor lists page through, and their cursors.

Two kinds, with one interface (`size`, `item(i)`, `cursor(i)`, `index_of(cursor)`):

- `Segments`: the segments of `GET /segments/list`, whose data and cursors tests pin: segment i is a pure
  function of (seed, i), and its cursor is Batch's style, standard base64 (with padding) of
  `<code>@<created_at>`. The codes mix scripts on purpose so that cursors contain `+`, `/` and `=`: a client
  that does not percent-encode the cursor gets a 400, because a bare `+` in a query string reads as a space.
- `SchemaItems`: any other list, its items built from the item schema (`_samples.Samples`), its cursors
  standard base64 of `<operation>:<index>` and a keyed digest, so that a tampered cursor is refused.

Items are computed when asked for, so a million of them cost no memory. `cursor(size)` is the end of the list:
the last page's `next_from`, which reads an empty page.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from typing import Any

from ._samples import Samples, base_time, timestamp

__all__ = ["Items", "SchemaItems", "Segments"]

_INDEX = re.compile(r"[0-9]{1,19}")

# Scripts with multi-byte UTF-8 (Cyrillic п is D0 BF, Korean and Japanese have E-lead bytes...) are what puts
# `+` and `/` in the base64 of "<code>@<timestamp>": ASCII letters, digits and timestamps never produce them.
_TOPICS = ("newsletter", "vip", "churn-risk", "fidèles", "été", "cart", "beta", "niños", "über", "crème",
           "dormant", "loyal", "東京", "서울", "спорт", "größe", "français", "premium")  # fmt: skip
_AUDIENCES = ("buyers", "readers", "fans", "clients", "joueurs", "käufer", "покупатели", "ユーザー", "lapsed",
              "new", "eu", "us", "apac", "weekly", "high-value", "trial")  # fmt: skip
_SPACING = 600  # seconds between two segments' creations, so that created_at is strictly increasing
_MAX_EDIT = 30 * 86_400


class Items:
    """A list of `size` items and its cursors; subclasses say what item i and its cursor are."""

    def __init__(self, size: int) -> None:
        self.size = size
        # Checking a cursor means recomputing the item it names: remember the cursors recently checked.
        self.index_of = functools.lru_cache(maxsize=1024)(self._decode)

    def item(self, index: int) -> Any:
        raise NotImplementedError

    def cursor(self, index: int) -> str:
        raise NotImplementedError

    def _decode(self, cursor: str) -> int | None:
        """The index `cursor` starts at, or None if this list never issued it."""
        raise NotImplementedError

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise IndexError(f"item index {index} out of range (0..{self.size - 1})")


class Segments(Items):
    def __init__(self, size: int, seed: int) -> None:
        super().__init__(size)
        self._salt = hashlib.blake2b(repr(seed).encode(), digest_size=16).digest()
        self._base_time = base_time(seed)

    def item(self, index: int) -> dict[str, Any]:
        self._check_index(index)
        h = hashlib.blake2b(index.to_bytes(8, "big"), digest_size=12, salt=self._salt).digest()
        topic, audience = _TOPICS[h[0] % len(_TOPICS)], _AUDIENCES[h[1] % len(_AUDIENCES)]
        created = self._base_time + index * _SPACING + int.from_bytes(h[2:6], "big") % _SPACING
        updated = created + int.from_bytes(h[6:10], "big") % _MAX_EDIT
        return {
            "code": f"{topic}-{audience}-{index}",  # the index makes codes unique, and cursors decodable here
            "display_name": f"{topic.capitalize()} {audience} #{index}",
            "created_at": timestamp(created),
            "updated_at": timestamp(updated),
        }

    def cursor(self, index: int) -> str:
        if index == self.size:
            return base64.b64encode(f"end-{index}@{timestamp(self._base_time)}".encode()).decode("ascii")
        segment = self.item(index)
        return base64.b64encode(f"{segment['code']}@{segment['created_at']}".encode()).decode("ascii")

    def _decode(self, cursor: str) -> int | None:
        try:
            code = base64.b64decode(cursor.encode("ascii"), validate=True).decode("utf-8").rpartition("@")[0]
        except ValueError:  # binascii.Error and UnicodeError are ValueErrors
            return None
        index = code.rpartition("-")[2]
        if not _INDEX.fullmatch(index) or int(index) > self.size:
            return None
        # Comparing with the canonical cursor rejects tampered ones and non-canonical base64 alike.
        return int(index) if self.cursor(int(index)) == cursor else None


class SchemaItems(Items):
    def __init__(self, size: int, samples: Samples, operation: str, item_schema: str) -> None:
        super().__init__(size)
        self._samples, self._operation, self._item_schema = samples, operation, item_schema

    def item(self, index: int) -> Any:
        self._check_index(index)
        return self._samples.value(self._item_schema, index)

    def cursor(self, index: int) -> str:
        name = f"{self._operation}:{index}".encode()
        digest = hashlib.blake2b(name, digest_size=6, salt=self._samples.salt).digest()
        return base64.b64encode(name + b"@" + digest).decode("ascii")

    def _decode(self, cursor: str) -> int | None:
        try:
            name = base64.b64decode(cursor.encode("ascii"), validate=True)[:-7].decode("ascii")
        except ValueError:
            return None
        operation, _, index = name.rpartition(":")
        if operation != self._operation or not _INDEX.fullmatch(index) or int(index) > self.size:
            return None
        return int(index) if self.cursor(int(index)) == cursor else None
