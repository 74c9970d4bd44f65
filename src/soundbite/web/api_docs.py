"""The interactive API documentation at /docs, served from our own static files.

FastAPI's default page loads Swagger UI from a CDN, so on a self-hosted server (or a laptop)
without internet access /docs stays blank. The same page, pointed at the copy the frontend
build puts in static/app/vendor/swagger-ui (frontend/copy-vendor.mjs), works anywhere.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER_UI = "/static/app/vendor/swagger-ui"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
    )
