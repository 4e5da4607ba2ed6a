"""The ceiling for bench/webhooks.py: a Flask route that reads the body and answers 202."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/github")
def accept():  # type: ignore[no-untyped-def]
    request.get_data()
    return "", 202
