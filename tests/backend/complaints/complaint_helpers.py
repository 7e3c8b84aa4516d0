"""Helpers the complaint tests share: a valid complaint body, filing, acting, test photos."""

import io

import httpx
from PIL import Image

ROAD = "jalan-rusak"  # routed to dbmsda (roads and water resources)
WASTE = "sampah"  # routed to dlh (environment)
# A spot inside the demo city's service area.
LATITUDE, LONGITUDE = -6.2901, 106.7163


def complaint_body(**changes) -> dict:
    body = {
        "category": ROAD,
        "title": "Lubang besar di Jl. Pahlawan",
        "description": "Lubang sedalam 20 cm di lajur kiri, dekat halte bus.",
        "latitude": LATITUDE,
        "longitude": LONGITUDE,
        "address": "Jl. Pahlawan No. 12",
        "answers": {"ukuran_lubang": "besar", "membahayakan": True},
    }
    body.update(changes)
    return body


async def file_complaint(client: httpx.AsyncClient, headers: dict[str, str], **changes) -> dict:
    response = await client.post(
        "/api/v1/complaints", json=complaint_body(**changes), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def act(
    client: httpx.AsyncClient, complaint: dict, action: str, headers: dict[str, str], **body
) -> httpx.Response:
    return await client.post(
        f"/api/v1/complaints/{complaint['id']}/actions/{action}", json=body, headers=headers
    )


def jpeg_bytes(size=(64, 48), color="red", **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", **save_options)
    return buffer.getvalue()
