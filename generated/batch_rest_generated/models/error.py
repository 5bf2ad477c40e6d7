from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """
    Attributes:
        error_message (str): A human readable error message
        error_code (str): Error code
    """

    error_message: str
    error_code: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error_message = self.error_message

        error_code = self.error_code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error_message": error_message,
                "error_code": error_code,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        error_message = d.pop("error_message")

        error_code = d.pop("error_code")

        error = cls(
            error_message=error_message,
            error_code=error_code,
        )

        error.additional_properties = d
        return error

    @property
    def model_fields_set(self) -> frozenset[str]:
        """The documented fields present: the required ones, the optional ones that are not None, and those that
        were null in the JSON this model was read from. Like the `model_fields_set` of openai-python's models."""
        return frozenset(
            (
                "error_message",
                "error_code",
            )
        )

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
