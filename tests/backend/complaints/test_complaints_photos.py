"""Photo uploads: checked by content, re-encoded without EXIF, bounded; hostile files refused."""

import io
import struct
import zlib

import pytest
from PIL import Image

from tests.backend.complaints.complaint_helpers import act, file_complaint, jpeg_bytes

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _with_gps_and_rotation() -> bytes:
    """A 3000x1000 phone photo that says "rotate 90° clockwise" and where it was taken."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "S", 2: (6.0, 17.0, 24.0), 3: "E", 4: (106.0, 42.0, 58.0)}
    data = jpeg_bytes(size=(3000, 1000), color="green", exif=exif)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the input really has GPS
    return data


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


async def _upload(client, complaint, headers, *files) -> object:
    return await client.post(
        f"/api/v1/complaints/{complaint['id']}/photos",
        files=[("files", file) for file in files],
        headers=headers,
    )


async def test_photos_are_re_encoded_upright_bounded_and_without_exif(client, callers):
    complaint = await file_complaint(client, callers.resident)
    response = await _upload(
        client, complaint, callers.resident, ("p.jpg", _with_gps_and_rotation(), "image/jpeg")
    )
    assert response.status_code == 201, response.text
    (photo,) = response.json()
    assert (photo["width"], photo["height"]) == (683, 2048)  # turned upright, bounded to 2048

    stored = await client.get(photo["url"], headers=callers.resident)
    assert stored.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(stored.content))
    assert image.size == (683, 2048)
    assert not image.getexif().get_ifd(GPS_IFD)
    assert len(image.getexif()) == 0 and "exif" not in image.info

    thumbnail = await client.get(photo["thumbnail_url"], headers=callers.resident)
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) == 320

    detail = await client.get(f"/api/v1/complaints/{complaint['id']}", headers=callers.resident)
    assert [p["id"] for p in detail.json()["photos"]] == [photo["id"]]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bomb.png", _png_claiming(30_000, 30_000)),
        ("truncated.jpg", jpeg_bytes(size=(400, 300), quality=95)[:1500]),
        ("invoice.jpg", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"),
        ("empty.jpg", b""),
    ],
)
async def test_hostile_or_broken_files_are_a_clear_422(client, callers, name, data):
    complaint = await file_complaint(client, callers.resident)
    response = await _upload(client, complaint, callers.resident, (name, data, "image/jpeg"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "files"
    assert problem["errors"][0]["code"] == "invalid_file"
    detail = await client.get(f"/api/v1/complaints/{complaint['id']}", headers=callers.resident)
    assert detail.json()["photos"] == []


async def test_an_oversized_file_is_a_413(client, callers, app):
    app.state.settings.max_photo_mb = 1
    complaint = await file_complaint(client, callers.resident)
    big = jpeg_bytes() + b"\0" * (1024 * 1024)
    response = await _upload(client, complaint, callers.resident, ("big.jpg", big, "image/jpeg"))
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"


async def test_at_most_five_photos_and_only_while_open(client, callers):
    complaint = await file_complaint(client, callers.resident)
    four = [(f"{n}.jpg", jpeg_bytes(), "image/jpeg") for n in range(4)]
    assert (await _upload(client, complaint, callers.resident, *four)).status_code == 201
    two = four[:2]
    too_many = await _upload(client, complaint, callers.resident, *two)
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "too_many_photos"
    assert (await _upload(client, complaint, callers.resident, four[0])).status_code == 201

    # The agency has its own five, e.g. for the repair; the photo shows as theirs.
    await act(client, complaint, "verify", callers.road_officer)
    staff = await _upload(client, complaint, callers.road_officer, four[0])
    assert staff.status_code == 201 and staff.json()[0]["from_staff"] is True
    await act(client, complaint, "resolve", callers.road_officer, note="Selesai")
    late = await _upload(client, complaint, callers.resident, four[0])
    assert late.status_code == 409


async def test_the_agencys_after_photo_is_on_the_public_timeline(client, callers):
    complaint = await file_complaint(client, callers.resident)
    await act(client, complaint, "verify", callers.road_officer)
    after = ("sesudah.jpg", jpeg_bytes(size=(64, 48), color="gray"), "image/jpeg")
    [photo] = (await _upload(client, complaint, callers.road_officer, after)).json()
    await act(client, complaint, "resolve", callers.road_officer, note="Sudah ditambal.")

    public = (await client.get(f"/api/v1/public/complaints/{complaint['id']}")).json()
    assert [(p["id"], p["from_staff"]) for p in public["photos"]] == [(photo["id"], True)]
    [added] = [entry for entry in public["timeline"] if entry["action"] == "add_photos"]
    assert added["public"] and added["details"] == {"count": 1, "photo_ids": [photo["id"]]}
    assert public["status"] == "resolved"


async def test_a_retried_upload_with_its_idempotency_key_adds_the_photos_once(client, callers):
    complaint = await file_complaint(client, callers.resident)
    photo = ("p.jpg", jpeg_bytes(size=(40, 30), color="red"), "image/jpeg")
    headers = {**callers.resident, "Idempotency-Key": "photo-upload-0001"}
    first = await _upload(client, complaint, headers, photo)
    retry = await _upload(client, complaint, headers, photo)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    detail = await client.get(f"/api/v1/complaints/{complaint['id']}", headers=callers.resident)
    assert len(detail.json()["photos"]) == 1

    other = ("q.jpg", jpeg_bytes(size=(40, 30), color="blue"), "image/jpeg")
    misuse = await _upload(client, complaint, headers, other)
    assert misuse.status_code == 422 and misuse.json()["code"] == "idempotency_key_reused"
