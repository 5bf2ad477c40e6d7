"""Typed plain-JSON request bodies. Written by tools/generate.py (tools/emit_params.py): do not edit.

Every body takes the generated model or plain JSON. These TypedDicts type the plain JSON, one per object a body
holds, named after its model (`EditProfile` -> `EditProfileDict`): mypy checks a dict literal's keys, value
types and required keys, and an enum's values as `Literal[...]`. An object that allows other keys
(`additionalProperties`) is a `Mapping[str, object]`. The client still checks every plain body against the
document's schema before sending it, since a dict built at run time is no literal.
"""

__all__: list[str] = []
