'use strict';

// A client for the interop tests: it connects once and then obeys the Go
// server over the connection (see peer.js), exiting when the connection
// closes. Usage:
//
//   node client.js '{"url": "ws://127.0.0.1:N/path",
//                    "perMessageDeflate": false | {...ws options},
//                    "protocols": ["chat.v1", ...]}'

const WebSocket = require('ws');
const { run, report, config } = require('./peer');

const cfg = config();
const info = { extensions: '', offer: '' };

const ws = new WebSocket(cfg.url, cfg.protocols || [], {
  perMessageDeflate: cfg.perMessageDeflate || false,
  maxPayload: 64 << 20,
  handshakeTimeout: 10000,
});

ws.on('upgrade', (res) => {
  info.extensions = res.headers['sec-websocket-extensions'] || '';
});
ws.on('unexpected-response', (req, res) => {
  report({ event: 'error', message: 'handshake refused with status ' + res.statusCode });
  process.exit(1);
});
ws.on('open', () => report({ event: 'open' }));
ws.on('close', () => setImmediate(() => process.exit(0)));
run(ws, info);
