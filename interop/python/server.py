"""An echo server for the interop tests, with Python's websockets.

It listens on 127.0.0.1 and a free port, which it reports as
{"event": "listening", "port": N}. Usage:

    python3 server.py '{"compression": "deflate" | null,
                        "deflate": {ServerPerMessageDeflateFactory params},
                        "protocols": ["chat.v1", ...]}'
"""

import asyncio

import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

import peer


async def main():
    cfg = peer.config()

    async def handler(ws, *_path):
        await peer.run(ws)

    server = await websockets.serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=cfg.get("protocols") or None,
        max_size=None,
        ping_interval=None,
        **peer.compression_options(cfg, ServerPerMessageDeflateFactory),
    )
    peer.report({"event": "listening", "port": server.sockets[0].getsockname()[1]})
    await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
