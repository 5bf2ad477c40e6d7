"""Contains all the data models used in inputs/outputs"""

from .error import Error
from .one_segment import OneSegment
from .segments_list_response_200 import SegmentsListResponse200

__all__ = (
    "Error",
    "OneSegment",
    "SegmentsListResponse200",
)
