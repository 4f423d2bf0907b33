"""The baseline for the import-time ratio: a Chalice app of one route."""
from chalice import Chalice

app = Chalice(app_name="bare")


@app.route("/")
def index() -> dict:
    return {"hello": "world"}
