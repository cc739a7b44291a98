#!/usr/bin/env python3
"""A legacy Streamable HTTP MCP server whose sessions expire, for the client's session re-initialisation test.

Every `initialize` opens a new session (s1, s2, ...). A request on session s1 is answered 404, as a server
does after a restart or an idle timeout; with `always` on the command line every session is forgotten at once.
`tools/list` reports how many initializations the server has seen. Listens on 127.0.0.1 (PORT, default 0) and
prints `MCP_PEER_LISTENING 127.0.0.1:<port>` on stderr."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALWAYS = "always" in sys.argv[1:]
state = {"initializations": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(405, headers={"Allow": "POST, DELETE"})

    def do_DELETE(self):
        self.answer(200)

    def do_POST(self):
        msg = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        method, rid = msg.get("method"), msg.get("id")
        if rid is None:
            return self.answer(202)
        if method == "server/discover":
            return self.answer(400, {"jsonrpc": "2.0", "id": None,
                                     "error": {"code": -32000, "message": "Bad Request: Server not initialized"}})
        if method == "initialize":
            state["initializations"] += 1
            session = "s%d" % state["initializations"]
            result = {"protocolVersion": msg["params"].get("protocolVersion", "2025-11-25"),
                      "capabilities": {"tools": {}}, "serverInfo": {"name": "expiring", "version": "1"}}
            return self.answer(200, {"jsonrpc": "2.0", "id": rid, "result": result}, {"Mcp-Session-Id": session})
        session = self.headers.get("Mcp-Session-Id")
        if ALWAYS or session != "s%d" % state["initializations"] or session == "s1":
            return self.answer(404, {"jsonrpc": "2.0", "id": None,
                                     "error": {"code": -32001, "message": "Session not found"}})
        if method == "tools/list":
            tool = {"name": "initializations", "description": str(state["initializations"]),
                    "inputSchema": {"type": "object"}}
            return self.answer(200, {"jsonrpc": "2.0", "id": rid, "result": {"tools": [tool]}})
        return self.answer(200, {"jsonrpc": "2.0", "id": rid,
                                 "error": {"code": -32601, "message": "Method not found"}})


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), Handler)
print("MCP_PEER_LISTENING 127.0.0.1:%d" % server.server_address[1], file=sys.stderr, flush=True)
server.serve_forever()
