from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.one_segment import OneSegment


T = TypeVar("T", bound="SegmentsListResponse200")


@_attrs_define
class SegmentsListResponse200:
    """
    Attributes:
        segments (list[OneSegment] | None): An array of objects describing each segment
        count (int | None): Informative only. Batch's docs disagree on its meaning (the schema says the total number of
            objects, the page's prose the number in this page) and sibling endpoints send it on the first page only.
        has_more (bool | None): Whether or not there are more elements available after this set. If `false`, this set
            comprises the end of the list.
        next_from (str | None): A cursor for use in pagination. If has_more is `true`, you can pass the value of
            `next_from` to a subsequent call to fetch the next page of resutls.
    """

    segments: list[OneSegment] | None = None
    count: int | None = None
    has_more: bool | None = None
    next_from: str | None = None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        segments: list[dict[str, Any]] | None = None
        if self.segments is not None:
            segments = []
            for segments_item_data in self.segments:
                segments_item = segments_item_data.to_dict()
                segments.append(segments_item)

        count = self.count

        has_more = self.has_more

        next_from = self.next_from

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if segments is not None:
            field_dict["segments"] = segments
        if count is not None:
            field_dict["count"] = count
        if has_more is not None:
            field_dict["has_more"] = has_more
        if next_from is not None:
            field_dict["next_from"] = next_from

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.one_segment import OneSegment

        d = dict(src_dict)
        _segments = d.pop("segments", None)
        segments: list[OneSegment] | None = None
        if _segments is not None:
            segments = []
            for segments_item_data in _segments:
                segments_item = OneSegment.from_dict(segments_item_data)

                segments.append(segments_item)

        count = d.pop("count", None)

        has_more = d.pop("has_more", None)

        next_from = d.pop("next_from", None)

        segments_list_response_200 = cls(
            segments=segments,
            count=count,
            has_more=has_more,
            next_from=next_from,
        )

        segments_list_response_200.additional_properties = d
        return segments_list_response_200

    @property
    def model_fields_set(self) -> frozenset[str]:
        """The documented fields present: the required ones, the optional ones that are not None, and those that
        were null in the JSON this model was read from. Like the `model_fields_set` of openai-python's models."""
        optional = (
            ("segments", self.segments),
            ("count", self.count),
            ("has_more", self.has_more),
            ("next_from", self.next_from),
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
