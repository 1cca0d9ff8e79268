"""The baseline for bench/run.py: the smallest possible Flask endpoint, served the same way."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "ok"
