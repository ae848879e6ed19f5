'use strict';

// An echo server for the interop tests, on 127.0.0.1 and a free port that it
// reports as {"event":"listening","port":N}. Usage:
//
//   node server.js '{"perMessageDeflate": false | {...ws options},
//                    "protocols": ["chat.v1", ...]}'
//
// perMessageDeflate is handed to ws as it is (serverNoContextTakeover,
// clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits,
// threshold); protocols lists the subprotocols it accepts, in its order of
// preference.

const { WebSocketServer } = require('ws');
const { run, report, config } = require('./peer');

const cfg = config();
const protocols = cfg.protocols || [];

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: cfg.perMessageDeflate || false,
  maxPayload: 64 << 20,
  handleProtocols: (offered) => protocols.find((p) => offered.has(p)) || false,
});

wss.on('headers', (headers, req) => {
  // Keep the extensions this server answered, for the info command.
  const prefix = 'sec-websocket-extensions:';
  const line = headers.find((h) => h.toLowerCase().startsWith(prefix));
  req.negotiated = line ? line.slice(prefix.length).trim() : '';
});

wss.on('connection', (ws, req) => {
  run(ws, {
    extensions: req.negotiated,
    offer: req.headers['sec-websocket-extensions'] || '',
  });
});

wss.on('listening', () => report({ event: 'listening', port: wss.address().port }));
wss.on('error', (err) => {
  report({ event: 'error', message: String(err) });
  process.exit(1);
});
