"""A thin helper around the Flask test client for API calls."""

from __future__ import annotations

import io


class ApiHelper:
    def __init__(self, client, key: str):
        self.client = client
        self.key = key

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"}

    def post_json(self, path: str, body: dict):
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers)

    def post_raw(self, path: str, data: bytes, content_type: str = "application/json"):
        return self.client.post(f"/api/v1{path}", data=data, content_type=content_type, headers=self.headers)

    def post_image(self, data: bytes, filename: str = "upload.png", **fields):
        form = {key: str(value) for key, value in fields.items()}
        form["image"] = (io.BytesIO(data), filename)
        return self.client.post("/api/v1/items", data=form, content_type="multipart/form-data", headers=self.headers)

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}", headers=self.headers)
