"""Uploaded photos and documents, checked by content rather than by name.

Photos are decoded with Pillow (a decompression bomb or truncated file is refused), auto-oriented,
re-encoded as JPEG without EXIF (so GPS and camera data are gone) and bounded in size; documents
are PDFs that pypdf can parse, or photos.

Files (photos, documents, announcement images, certificates) land in a content-addressed
``FileStore``: a directory (the default, one host) or an S3-compatible bucket shared by every
host (``WARGA_STORAGE_BACKEND=s3``: MinIO, Ceph RGW, Garage or a cloud). A file is stored before
the row that names it is written, and an object never changes once written (its key is the
SHA-256 of its content), so a failed upload leaves at most an unnamed object, never a row
pointing at a missing one.
"""

import hashlib
import io
import threading
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import UploadFile
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from backend.errors import Problem, Unavailable, Unprocessable, bilingual
from shared.errors import ErrorCode

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from backend.config import Settings

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


class StorageUnavailable(Unavailable):
    """The object store did not take or give a file: the request may be retried."""

    def __init__(self) -> None:
        super().__init__(
            bilingual(
                "Penyimpanan berkas sedang tidak dapat dijangkau; coba lagi sebentar lagi.",
                "The file storage cannot be reached; try again shortly.",
            ),
            headers={"Retry-After": "5"},
        )


def _checked(key: str) -> str:
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        raise ValueError("not a file key")
    return key


class FileStore(ABC):
    """Content-addressed files: the key is the SHA-256 of the content, so saving the same bytes
    twice gives the same key and an object is never rewritten with something else."""

    def save(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        self._put(key, data)
        return key

    def read(self, key: str) -> bytes:
        """The file's bytes; ``FileNotFoundError`` when there is no such file."""
        return self._get(_checked(key))

    @staticmethod
    def _name(key: str) -> str:
        return f"{key[:2]}/{key}"

    @abstractmethod
    def _put(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def _get(self, key: str) -> bytes: ...


class LocalFileStore(FileStore):
    """Files under a directory on this host (the default, for one host)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _put(self, key: str, data: bytes) -> None:
        path = self.root / self._name(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{threading.get_ident()}.part")
        temporary.write_bytes(data)
        temporary.replace(path)  # atomic: a reader never sees half a file

    def _get(self, key: str) -> bytes:
        return (self.root / self._name(key)).read_bytes()


class S3FileStore(FileStore):
    """Objects in an S3-compatible bucket every host reaches, under `prefix`."""

    def __init__(self, client: "S3Client", *, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _put(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:  # a PUT is atomic: the object appears whole or not at all
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + self._name(key), Body=data)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable() from error

    def _get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.prefix + self._name(key))
            return found["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from error
            raise StorageUnavailable() from error
        except BotoCoreError as error:
            raise StorageUnavailable() from error


_stores: dict[tuple[str | None, ...], FileStore] = {}
_stores_lock = threading.Lock()


def file_store(settings: "Settings") -> FileStore:
    """The store the settings name; one per process and configuration (an S3 client keeps its
    connections and is safe to share between threads)."""
    if settings.storage_backend == "local":
        return LocalFileStore(settings.media_dir)
    key = (
        settings.s3_endpoint_url,
        settings.s3_bucket,
        settings.s3_prefix,
        settings.s3_region,
        settings.s3_access_key_id,
        settings.s3_secret_access_key,
    )
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = S3FileStore(
                _s3_client(settings), bucket=settings.s3_bucket, prefix=settings.s3_prefix
            )
        return store


def _s3_client(settings: "Settings") -> "S3Client":
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
        config=Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=settings.db_pool_size + settings.db_max_overflow,
        ),
    )
