"""A client for the interop tests, with Python's websockets.

It connects once and then obeys the Go server over the connection (see
peer.py), exiting when the connection closes. Usage:

    python3 client.py '{"url": "ws://127.0.0.1:N/path",
                        "compression": "deflate" | null,
                        "deflate": {ClientPerMessageDeflateFactory params},
                        "protocols": ["chat.v1", ...]}'
"""

import asyncio

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

import peer


async def main():
    cfg = peer.config()
    ws = await websockets.connect(
        cfg["url"],
        subprotocols=cfg.get("protocols") or None,
        max_size=None,
        ping_interval=None,
        open_timeout=10,
        **peer.compression_options(cfg, ClientPerMessageDeflateFactory),
    )
    peer.report({"event": "open"})
    await peer.run(ws)


if __name__ == "__main__":
    asyncio.run(main())
