"""Episode audio at ``/media/<sha256>``, with HTTP Range for seeking.

The URL names the bytes, so a response never goes stale: the ETag is the hash and caches may
keep it for a year. Outside ``/api`` because it is fetched by ``<audio>`` elements and
CDNs, not by API clients.

With S3 storage and ``media_delivery = presigned`` the answer is instead a redirect to a
short-lived presigned S3 URL, so episode bytes flow from S3 (or a CDN in front of it) and not
through the web processes; the redirect itself may be cached for half the URL's lifetime.

The stored content type came from a feed or an upload and is not trusted to be harmless:
anything that is not audio or video is served as ``application/octet-stream`` with
``nosniff``, so a blob labelled ``text/html`` can never run as a page on our origin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from soundbite.services import episodes
from soundbite.services.accounts import Account
from soundbite.store.blobs import media_key
from soundbite.web.counting import count_media
from soundbite.web.deps import SoundbiteDep, Viewer
from soundbite.web.headers import cache_control
from soundbite.web.ranges import ranged_response

router = APIRouter(tags=["media"])

SAFE_TYPE_PREFIXES = ("audio/", "video/")


def safe_media_type(content_type: str | None) -> str:
    if content_type and content_type.lower().startswith(SAFE_TYPE_PREFIXES):
        return content_type
    return "application/octet-stream"


@router.get(
    "/media/{sha256}",
    response_class=Response,
    responses={
        200: {"content": {"audio/*": {}}, "description": "The whole file"},
        307: {"description": "Presigned S3 URL (setting `media_delivery = presigned`)"},
        206: {"description": "The requested byte range"},
        304: {"description": "Not modified (If-None-Match)"},
        416: {"description": "Range not satisfiable"},
    },
)
def get_media(
    request: Request,
    sb: SoundbiteDep,
    viewer: Viewer,
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")],
) -> Response:
    """Episode audio by content hash; supports Range, If-Range and If-None-Match.

    Each answer is handed to analytics (docs/analytics.md) without waiting for it."""
    response = media_response(request, sb, viewer, sha256)
    count_media(sb, request, sha256, response)
    return response


def media_response(
    request: Request, sb: SoundbiteDep, viewer: Account | None, sha256: str
) -> Response:
    content_type, shared = episodes.media_type_of(sb, viewer, sha256)
    key = media_key(sha256)
    lifetime = sb.settings.presigned_url_seconds
    url = (
        sb.storage.presigned_url(key, lifetime, content_type=safe_media_type(content_type))
        if sb.settings.media_delivery == "presigned"
        else None
    )
    if url is not None:  # the store can hand out its own links (S3): bytes skip this process
        scope = "public" if shared else "private"
        return RedirectResponse(
            url, status_code=307, headers={"Cache-Control": f"{scope}, max-age={lifetime // 2}"}
        )
    size = sb.storage.size(key)
    return ranged_response(
        request,
        size=size,
        etag=sha256,
        media_type=safe_media_type(content_type),
        read=lambda start, end: sb.storage.iter_range(key, start, end),
        headers={
            "Cache-Control": cache_control(public=shared, immutable=True),
            "X-Content-Type-Options": "nosniff",
        },
    )


# HEAD answers like GET without the body; listed once in the OpenAPI schema, under GET
router.add_api_route("/media/{sha256}", get_media, methods=["HEAD"], include_in_schema=False)
