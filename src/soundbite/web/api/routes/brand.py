"""A podcast's brand for its clip videos: colours, caption style and a logo (creators, admins).

The logo is read from the form by hand, after the access check, so a caller who may not
change the podcast is told so (403/404) before a byte of the file is looked at, and a form
without a file is a 422 with a sentence, not FastAPI's validation list.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from soundbite.errors import InvalidInput, TooLarge
from soundbite.media.logo import MAX_LOGO_BYTES
from soundbite.services import brand
from soundbite.services.access import editable_podcast
from soundbite.services.brand import BrandView
from soundbite.services.schemas import BrandPublic, BrandUpdate
from soundbite.web.api.params import RowIdPath
from soundbite.web.deps import CurrentUser, SoundbiteDep

router = APIRouter(tags=["podcasts"])
FORM_SLACK = 64 * 1024  # multipart boundaries and headers around the file


def _public(view: BrandView) -> BrandPublic:
    b = view.brand
    return BrandPublic(
        background=b.background,
        accent=b.accent,
        caption_style=b.caption_style,
        caption_size=b.caption_size,
        has_logo=view.has_logo,
    )


@router.get("/podcasts/{podcast_id}/brand", response_model=BrandPublic)
def get_brand(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> BrandPublic:
    """The look of the podcast's clip videos (for its creators and admins)."""
    return _public(brand.get_brand(sb, user, podcast_id))


@router.patch("/podcasts/{podcast_id}/brand", response_model=BrandPublic)
def update_brand(
    podcast_id: RowIdPath, body: BrandUpdate, sb: SoundbiteDep, user: CurrentUser
) -> BrandPublic:
    """Change the colours (#rrggbb) or caption style of the podcast's clip videos. Videos
    rendered before keep their look; new renders use the new one."""
    changes = body.model_dump(exclude_unset=True)
    return _public(brand.update_brand(sb, user, podcast_id, changes))


@router.put(
    "/podcasts/{podcast_id}/brand/logo",
    response_model=BrandPublic,
    responses={
        413: {"description": "Over 2 MB, or over 4096 pixels on a side"},
        422: {"description": "No file, or not a PNG, JPEG or WebP image"},
    },
)
async def put_logo(
    podcast_id: RowIdPath, request: Request, sb: SoundbiteDep, user: CurrentUser
) -> BrandPublic:
    """Upload the podcast's logo (multipart field `file`: PNG, JPEG or WebP, up to 2 MB and
    4096 pixels a side); it is drawn beside the podcast's name in its clip videos."""
    await run_in_threadpool(editable_podcast, sb, user, podcast_id)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_LOGO_BYTES + FORM_SLACK:
        raise TooLarge(
            f"the upload is {int(declared) / 1e6:.1f} MB; a logo may be up to "
            f"{MAX_LOGO_BYTES // (1024 * 1024)} MB"
        )
    async with request.form(max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("send the logo as the multipart form field `file`")
        data = await upload.read(MAX_LOGO_BYTES + 1)
    view = await run_in_threadpool(brand.set_logo, sb, user, podcast_id, data)
    return _public(view)


@router.delete("/podcasts/{podcast_id}/brand/logo", status_code=204)
def delete_logo(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> Response:
    """Remove the podcast's logo from its future clip videos."""
    brand.remove_logo(sb, user, podcast_id)
    return Response(status_code=204)


@router.get("/podcasts/{podcast_id}/brand/logo.png")
def get_logo(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> Response:
    """The podcast's logo as stored (our PNG, at most 512 pixels a side)."""
    png = brand.logo(sb, user, podcast_id)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-cache"})
