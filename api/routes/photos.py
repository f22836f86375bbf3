"""Evidence photos: upload to a case (checked against the 图斑), and fetch image or thumbnail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse

from api.deps import ClockDep
from api.documented_errors import errors
from api.schemas import PhotoPublic
from api.security import CurrentUser, ScopeDep, VisibilityDep, check_action, check_visible
from geo.errors import NotFound
from geo.messages import msg
from geo.photos import MAX_BYTES, PhotoRejected
from storage.photo_store import PhotoStore
from storage.visibility import Scope

router = APIRouter(prefix="/api", tags=["photos"])


def photo_store(request: Request) -> PhotoStore:
    """The photo store the app was built with."""
    return request.app.state.photos


PhotosDep = Annotated[PhotoStore, Depends(photo_store)]


def photo_public(p: dict) -> dict:
    """A photo record with the URLs of the image and its thumbnail."""
    return {
        **p,
        "url": f"/api/photos/{p['sha256']}",
        "thumb_url": f"/api/photos/{p['sha256']}/thumb",
    }


@router.post(
    "/cases/{case_id}/photos", status_code=201, operation_id="photos-upload", responses=errors(403)
)
async def upload(
    case_id: int,
    file: Annotated[UploadFile, File()],
    user: CurrentUser,
    visibility: VisibilityDep,
    store: PhotosDep,
    clock: ClockDep,
) -> PhotoPublic:
    """Upload an evidence photo; its EXIF position, direction and time are checked."""
    check_visible(user, case_id, visibility)
    check_action(user, "add_photo", case_id, visibility)
    data = await file.read(MAX_BYTES + 1)
    name = file.filename or "photo"
    if len(data) > MAX_BYTES:
        raise PhotoRejected(
            msg("photo.too_large", megabytes=MAX_BYTES >> 20),
            file=name,
            reason="too_large",
            size=len(data),
        )
    saved = store.add(case_id, data, name, actor=user.actor, now=clock())
    return PhotoPublic.model_validate(photo_public(saved))


def _visible_photo(sha256: str, store: PhotoStore, scope: Scope) -> dict:
    """The photo's record, if the user may see at least one case it is evidence for."""
    for p in store.by_hash(sha256, scope):
        return p
    raise NotFound("没有该照片", sha256=sha256)


@router.get("/photos/{sha256}", operation_id="photos-get", response_class=FileResponse)
def get_photo(sha256: str, store: PhotosDep, scope: ScopeDep) -> FileResponse:
    """A photo by its SHA-256, for a user who may see a case it is evidence for; 404 otherwise."""
    p = _visible_photo(sha256, store, scope)
    return FileResponse(store.blobs.path(sha256), media_type=p["mime"])


@router.get("/photos/{sha256}/thumb", operation_id="photos-thumb", response_class=FileResponse)
def get_thumb(sha256: str, store: PhotosDep, scope: ScopeDep) -> FileResponse:
    """A photo's JPEG thumbnail; the same 404 as the photo for a user who may not see it."""
    _visible_photo(sha256, store, scope)
    return FileResponse(store.blobs.thumbnail_path(sha256), media_type="image/jpeg")
