"""The command loop shared by the Python peers of the interop tests.

Over an open connection the peer echoes every data message with its own
type, and obeys the text messages that start with CMD_PREFIX, which carry a
JSON command from the Go test. Answers to commands start with the same
prefix. Events the Go test cannot get over the connection (listening,
closed, errors) are printed on stdout, one JSON object a line.
"""

import asyncio
import base64
import json
import sys

import websockets

CMD_PREFIX = "\x01"
PONG_TIMEOUT = 10


def report(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def answer(ws, obj):
    await ws.send(CMD_PREFIX + json.dumps(obj))


def config():
    """Parses the JSON configuration of the peer, its only argument."""
    if len(sys.argv) < 2:
        raise SystemExit("usage: python3 %s '<json config>'" % sys.argv[0])
    return json.loads(sys.argv[1])


def compression_options(cfg, factory):
    """Returns the keyword arguments that set up permessage-deflate.

    cfg["compression"] is "deflate" (websockets' defaults) or None (off);
    cfg["deflate"], when present, holds the parameters of an explicit
    Server/ClientPerMessageDeflateFactory.
    """
    if cfg.get("deflate") is not None:
        return {"extensions": [factory(**cfg["deflate"])], "compression": None}
    return {"compression": cfg.get("compression")}


def handshake_info(ws):
    """Describes the handshake as this peer saw it: the client's offer and
    the server's answer, whichever side this peer is."""
    return {
        "extensions": ws.response_headers.get("Sec-WebSocket-Extensions", ""),
        "offer": ws.request_headers.get("Sec-WebSocket-Extensions", ""),
    }


async def run(ws):
    """Serves one connection until it closes."""
    info = handshake_info(ws)
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith(CMD_PREFIX):
                await command(ws, info, json.loads(message[1:]))
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    except Exception as err:  # reported for the Go test to show
        report({"event": "error", "message": repr(err)})
    await ws.wait_closed()
    report({"event": "closed", "code": ws.close_code, "reason": ws.close_reason or ""})


async def command(ws, info, cmd):
    op = cmd.get("op")
    if op == "info":
        await answer(
            ws,
            {
                "event": "info",
                "protocol": ws.subprotocol or "",
                "extensions": info["extensions"],
                "offer": info["offer"],
                "peer": "python websockets " + websockets.__version__,
            },
        )
    elif op == "sync":
        await answer(ws, {"event": "sync"})
    elif op == "ping":
        data = base64.b64decode(cmd["data64"])
        # The waiter resolves only on a pong that carries the same payload.
        waiter = await ws.ping(data)
        await asyncio.wait_for(waiter, PONG_TIMEOUT)
        await answer(ws, {"event": "pong", "data64": cmd["data64"]})
    elif op == "fragments":
        # An iterable makes one frame of each part, the last with FIN set.
        parts = [base64.b64decode(p) for p in cmd["parts64"]]
        if not cmd.get("binary"):
            parts = [p.decode("utf-8") for p in parts]
        await ws.send(parts)
    elif op == "close":
        await ws.close(cmd["code"], cmd["reason"])
    else:
        await answer(ws, {"event": "error", "message": "unknown op %r" % op})
