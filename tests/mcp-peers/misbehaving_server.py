#!/usr/bin/env python3
"""A legacy MCP stdio server that misbehaves on purpose, for the client's bad-input tests.

usage: misbehaving_server.py MODE   (MODE decides what happens on tools/call)
  malformed   a line that is not JSON, then a response whose result is not an object
  oversized   a 2 MiB line
  die         exits with status 3
  silent      never answers
  flood       5 MiB of stderr lines, then a normal answer
  stubborn    never answers, ignores SIGTERM and the end of stdin (only SIGKILL stops it)
  noprobe     like a normal server, but never answers server/discover (the era probe times out)
  ping        sends the client a ping and a sampling request before answering; reports their answers
and on tools/list:
  pages       three pages of tools (cursors "p2", "p3")
  loop        a nextCursor that never changes
"""
import json
import signal
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "normal"
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def answer(msg_id, result):
    send({"jsonrpc": "2.0", "id": msg_id, "result": result})


def read_line():
    line = sys.stdin.readline()
    if not line:
        if mode == "stubborn":
            while True:
                time.sleep(1)
        sys.exit(0)
    return json.loads(line)


TOOLS = [{"name": "work", "description": "does work", "inputSchema": {"type": "object", "properties": {}}}]

while True:
    msg = read_line()
    method = msg.get("method")
    msg_id = msg.get("id")
    if method == "server/discover":
        if mode == "noprobe":
            continue
        send({"jsonrpc": "2.0", "id": msg_id, "error": {"code": -32601, "message": "Method not found"}})
    elif method == "initialize":
        answer(msg_id, {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                        "serverInfo": {"name": "misbehaving-" + mode, "version": "0"}})
    elif method == "tools/list":
        cursor = (msg.get("params") or {}).get("cursor")
        if mode == "pages":
            page = {None: ("a", "p2"), "p2": ("b", "p3"), "p3": ("c", None)}[cursor]
            result = {"tools": [dict(TOOLS[0], name=page[0] + str(i)) for i in range(2)]}
            if page[1]:
                result["nextCursor"] = page[1]
            answer(msg_id, result)
        elif mode == "loop":
            answer(msg_id, {"tools": TOOLS, "nextCursor": "again"})
        else:
            answer(msg_id, {"tools": TOOLS})
    elif method == "tools/call":
        if mode == "malformed":
            sys.stdout.write("{not json\n")
            send({"jsonrpc": "2.0", "id": msg_id, "result": 42})
        elif mode == "oversized":
            sys.stdout.write('{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"' % json.dumps(msg_id))
            sys.stdout.write("x" * (2 * 1024 * 1024))
            sys.stdout.flush()
            time.sleep(30)
        elif mode == "die":
            sys.exit(3)
        elif mode in ("silent", "stubborn"):
            pass
        elif mode == "flood":
            for i in range(50000):
                sys.stderr.write("log line %d %s\n" % (i, "y" * 90))
            sys.stderr.flush()
            answer(msg_id, {"content": [{"type": "text", "text": "done after flood"}]})
        elif mode == "ping":
            send({"jsonrpc": "2.0", "id": "s1", "method": "ping"})
            send({"jsonrpc": "2.0", "id": "s2", "method": "sampling/createMessage", "params": {"messages": []}})
            replies = [read_line(), read_line()]
            answer(msg_id, {"content": [{"type": "text", "text": json.dumps(replies)}]})
        else:
            answer(msg_id, {"content": [{"type": "text", "text": "ok"}]})
    elif msg_id is not None and method is not None:
        send({"jsonrpc": "2.0", "id": msg_id, "error": {"code": -32601, "message": "Method not found"}})
