"""``/what-we-count``: the plain-language page on what Soundbite counts and keeps."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from soundbite.web.deps import SoundbiteDep
from soundbite.web.pages.rendering import PAGE_HEADERS, TEMPLATES

router = APIRouter(include_in_schema=False)


@router.get("/what-we-count", response_class=HTMLResponse)
def what_we_count(request: Request, sb: SoundbiteDep) -> HTMLResponse:
    s = sb.settings
    return TEMPLATES.TemplateResponse(
        request,
        "what_we_count.html",
        {
            "enabled": s.analytics,
            "retention_days": s.analytics_retention_days,
            "anomaly_limit": s.analytics_anomaly_downloads,
        },
        headers={**PAGE_HEADERS, "Cache-Control": "public, max-age=3600"},
    )
