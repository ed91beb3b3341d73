"""A chat webhook that answers as Slack's incoming webhooks do, for `agenttail report --webhook`.

Slack takes `POST /services/T.../B.../SECRET` with a JSON object holding a non-empty `text` string and answers
`200 ok` (text/plain); a body that is not such JSON gets `400 invalid_payload`, a URL that names no webhook
`404 no_service`, and a text over 40,000 characters is refused here (Slack would cut it). What was accepted is kept
for the test.
"""
import json
import re
import threading

from flask import Flask, request
from werkzeug.serving import make_server

PATH = re.compile(r"^/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+$")


class ChatWebhook:
    def __init__(self):
        self.received = []
        self.removed = set()
        app = Flask(__name__)

        @app.route("/<path:rest>", methods=["GET", "POST", "PUT"])
        def hook(rest):
            path = "/" + rest
            if request.method != "POST":
                return "invalid_request", 405
            if not PATH.match(path) or path in self.removed:
                return "no_service", 404
            if request.mimetype != "application/json":
                return "invalid_payload", 400
            try:
                body = json.loads(request.get_data(as_text=True))
            except ValueError:
                return "invalid_payload", 400
            if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
                return "no_text", 400
            if len(body["text"]) > 40_000:
                return "msg_too_long", 400
            self.received.append({"path": path, "text": body["text"], "user_agent": request.headers.get("User-Agent")})
            return "ok", 200, {"Content-Type": "text/plain"}

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path="/services/T0001/B0002/Secr3tT0ken"):
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join()
