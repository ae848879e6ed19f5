'use strict';

// The command loop shared by the Node peers of the interop tests. Over an
// open connection the peer echoes every data message with its own type, and
// obeys the text messages that start with CMD_PREFIX, which carry a JSON
// command from the Go test. Answers to commands start with the same prefix.
// Events the Go test cannot get over the connection (listening, closed,
// errors) are printed on stdout, one JSON object a line.

const CMD_PREFIX = 0x01;

function report(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function answer(ws, obj) {
  ws.send('\u0001' + JSON.stringify(obj), { binary: false });
}

// run serves one connection; info describes its handshake as this peer saw it.
function run(ws, info) {
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.length > 0 && data[0] === CMD_PREFIX) {
      command(ws, info, JSON.parse(data.subarray(1).toString('utf8')));
      return;
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('pong', (data) => {
    answer(ws, { event: 'pong', data64: data.toString('base64') });
  });
  ws.on('close', (code, reason) => {
    report({ event: 'closed', code, reason: reason.toString('utf8') });
  });
  ws.on('error', (err) => {
    report({ event: 'error', message: String(err) });
  });
}

function command(ws, info, cmd) {
  switch (cmd.op) {
    case 'info':
      answer(ws, {
        event: 'info',
        protocol: ws.protocol,
        extensions: info.extensions || '',
        offer: info.offer || '',
        peer: 'node ws ' + require('ws/package.json').version,
      });
      break;
    case 'sync':
      answer(ws, { event: 'sync' });
      break;
    case 'ping':
      ws.ping(Buffer.from(cmd.data64, 'base64'));
      break;
    case 'fragments': {
      // Each part becomes one frame: the first with the message's opcode,
      // the others continuation frames, the last with FIN set.
      const parts = cmd.parts64.map((p) => Buffer.from(p, 'base64'));
      parts.forEach((part, i) => {
        ws.send(part, { binary: cmd.binary, fin: i === parts.length - 1 });
      });
      break;
    }
    case 'close':
      ws.close(cmd.code, cmd.reason);
      break;
    default:
      answer(ws, { event: 'error', message: 'unknown op ' + cmd.op });
  }
}

// config parses the JSON configuration of the peer, its only argument.
function config() {
  if (process.argv.length < 3) {
    throw new Error('usage: node ' + process.argv[1] + " '<json config>'");
  }
  return JSON.parse(process.argv[2]);
}

module.exports = { run, report, config };
