"""Uploaded photos and documents, checked by content rather than by name.

Photos are decoded with Pillow (a decompression bomb or truncated file is refused), auto-oriented,
re-encoded as JPEG without EXIF (so GPS and camera data are gone) and bounded in size; documents
are PDFs that pypdf can parse, or photos. Files land in a content-addressed store on disk.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from backend.errors import Problem, Unprocessable
from shared.errors import ErrorCode

PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
MAX_PHOTO_SIDE = 2048
THUMBNAIL_SIDE = 320
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo is fine; a bomb is far larger
JPEG_QUALITY = 85


class FileTooLarge(Problem):
    status = 413
    code = ErrorCode.FILE_TOO_LARGE


@dataclass(frozen=True)
class Photo:
    data: bytes
    thumbnail: bytes
    width: int
    height: int
    media_type: str = "image/jpeg"


@dataclass(frozen=True)
class Document:
    data: bytes
    media_type: str
    pages: int


async def read_limited(upload: UploadFile, *, max_bytes: int, field: str) -> bytes:
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise Unprocessable.for_field(field, ErrorCode.INVALID_FILE, "The file is empty.")
    return data


def _invalid(field: str, detail: str) -> Unprocessable:
    return Unprocessable.for_field(field, ErrorCode.INVALID_FILE, detail)


def _open_image(data: bytes, field: str) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format not in PHOTO_FORMATS:
                raise _invalid(field, "Only JPEG, PNG, WebP or GIF photos are accepted.")
            if image.width * image.height > MAX_PIXELS:
                raise _invalid(field, "The image has too many pixels.")
            image.load()  # decodes fully: a truncated file fails here, not later
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            raise _invalid(field, "The file is not a photo that can be read.") from None
        except (OSError, SyntaxError, ValueError):
            raise _invalid(field, "The photo is damaged or truncated.") from None
    return image


def _jpeg(image: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif= -> none written
    return buffer.getvalue(), copy.width, copy.height


def process_photo(data: bytes, *, field: str = "file") -> Photo:
    image = _open_image(data, field)
    image = ImageOps.exif_transpose(image)  # honour the camera's rotation before dropping EXIF
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").split()[-1])
        image = background
    full, width, height = _jpeg(image, MAX_PHOTO_SIDE)
    thumbnail, _, _ = _jpeg(image, THUMBNAIL_SIDE)
    return Photo(data=full, thumbnail=thumbnail, width=width, height=height)


def process_document(data: bytes, *, field: str = "file", accepted: set[str]) -> Document:
    """A PDF (parsed, at least one page) or a photo (re-encoded like any photo)."""
    if data.startswith(b"%PDF-") and "application/pdf" in accepted:
        try:
            reader = PdfReader(io.BytesIO(data))
            pages = len(reader.pages)
        except (PyPdfError, OSError, ValueError, KeyError, TypeError):
            raise _invalid(field, "The PDF is damaged and cannot be read.") from None
        if pages == 0:
            raise _invalid(field, "The PDF has no pages.")
        return Document(data=data, media_type="application/pdf", pages=pages)
    if accepted & {"image/jpeg", "image/png"}:
        photo = process_photo(data, field=field)
        return Document(data=photo.data, media_type=photo.media_type, pages=1)
    raise _invalid(field, "This kind of file is not accepted here.")


class FileStore:
    """Content-addressed files under a directory: the key is the SHA-256 of the content."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("not a file key")
        return self.root / key[:2] / key

    def save(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".part")
            temporary.write_bytes(data)
            temporary.replace(path)  # atomic: a reader never sees half a file
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()
