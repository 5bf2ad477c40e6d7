from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.segments_list_response_200 import SegmentsListResponse200
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    from_: str | Unset = UNSET,
    limit: int | Unset = 10,
    x_batch_project: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["X-Batch-Project"] = x_batch_project

    params: dict[str, Any] = {}

    params["from"] = from_

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/segments/list",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | SegmentsListResponse200 | None:
    if response.status_code == 200:
        response_200 = SegmentsListResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | SegmentsListResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    from_: str | Unset = UNSET,
    limit: int | Unset = 10,
    x_batch_project: str,
) -> Response[Error | SegmentsListResponse200]:
    """List

     List segments

    Args:
        from_ (str | Unset):
        limit (int | Unset):  Default: 10.
        x_batch_project (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SegmentsListResponse200]
    """

    kwargs = _get_kwargs(
        from_=from_,
        limit=limit,
        x_batch_project=x_batch_project,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    from_: str | Unset = UNSET,
    limit: int | Unset = 10,
    x_batch_project: str,
) -> Error | SegmentsListResponse200 | None:
    """List

     List segments

    Args:
        from_ (str | Unset):
        limit (int | Unset):  Default: 10.
        x_batch_project (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SegmentsListResponse200
    """

    return sync_detailed(
        client=client,
        from_=from_,
        limit=limit,
        x_batch_project=x_batch_project,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    from_: str | Unset = UNSET,
    limit: int | Unset = 10,
    x_batch_project: str,
) -> Response[Error | SegmentsListResponse200]:
    """List

     List segments

    Args:
        from_ (str | Unset):
        limit (int | Unset):  Default: 10.
        x_batch_project (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SegmentsListResponse200]
    """

    kwargs = _get_kwargs(
        from_=from_,
        limit=limit,
        x_batch_project=x_batch_project,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    from_: str | Unset = UNSET,
    limit: int | Unset = 10,
    x_batch_project: str,
) -> Error | SegmentsListResponse200 | None:
    """List

     List segments

    Args:
        from_ (str | Unset):
        limit (int | Unset):  Default: 10.
        x_batch_project (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SegmentsListResponse200
    """

    return (
        await asyncio_detailed(
            client=client,
            from_=from_,
            limit=limit,
            x_batch_project=x_batch_project,
        )
    ).parsed
