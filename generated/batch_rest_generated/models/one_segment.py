from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OneSegment")


@_attrs_define
class OneSegment:
    """
    Attributes:
        code (str | None):
        display_name (str | None):
        created_at (datetime.datetime | None): UTC Date in a RFC 3339 format
        updated_at (datetime.datetime | None): UTC Date in a RFC 3339 format
    """

    code: str | None = None
    display_name: str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        display_name = self.display_name

        created_at: str | None = None
        if self.created_at is not None:
            created_at = self.created_at.isoformat()

        updated_at: str | None = None
        if self.updated_at is not None:
            updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if code is not None:
            field_dict["code"] = code
        if display_name is not None:
            field_dict["display_name"] = display_name
        if created_at is not None:
            field_dict["created_at"] = created_at
        if updated_at is not None:
            field_dict["updated_at"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code", None)

        display_name = d.pop("display_name", None)

        _created_at = d.pop("created_at", None)
        created_at: datetime.datetime | None = None
        if _created_at is not None:
            created_at = datetime.datetime.fromisoformat(_created_at)

        _updated_at = d.pop("updated_at", None)
        updated_at: datetime.datetime | None = None
        if _updated_at is not None:
            updated_at = datetime.datetime.fromisoformat(_updated_at)

        one_segment = cls(
            code=code,
            display_name=display_name,
            created_at=created_at,
            updated_at=updated_at,
        )

        one_segment.additional_properties = d
        return one_segment

    @property
    def model_fields_set(self) -> frozenset[str]:
        """The documented fields present: the required ones, the optional ones that are not None, and those that
        were null in the JSON this model was read from. Like the `model_fields_set` of openai-python's models."""
        optional = (
            ("code", self.code),
            ("display_name", self.display_name),
            ("created_at", self.created_at),
            ("updated_at", self.updated_at),
        )
        present = [*(name for name, value in optional if value is not None)]
        return frozenset(present)

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
