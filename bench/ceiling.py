"""The ceiling every benchmark figure is divided by: a bare FastAPI endpoint, served with the
same uvicorn settings as Warga, so the ratio shows what Warga's own work costs."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "hello"}
