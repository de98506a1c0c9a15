// bench/peers/node/server.js: the benchmark workload in Node.js (built-in http, one
// process, state in a Map). Usage: node server.js [PORT]   (0 or none: any free port)
// Prints "listening on http://127.0.0.1:PORT" like ivr-engine serve.
'use strict';
const http = require('http');

const calls = new Map();  // IVR_UNIQUE_ID -> request count

function decide(d) {
  if (d.MENU === '-1') {
    return { STATUS: 0, ACTION: 'MENU', LANGUAGE: 'he', DATA: {
      REC: 'welcome', LOOP: 1, DELAY: 1, SIZE: 1, MENU: 'main', VALIDATION: 0 } };
  }
  if (d.MENU === 'main' && d.DTMF === '1') {
    return { STATUS: 0, ACTION: 'CALL', LANGUAGE: 'he', DATA: {
      TARGET: '0501234567', CALLERID: d.CALLER_ID, CALLERNAME: d.CALLER_NAME,
      CALL_MAX_DIAL: 30, CALL_MAX: 3600, REC_STATUS: 0 } };
  }
  return { STATUS: 0, ACTION: 'HANGUP', LANGUAGE: 'he', DATA: { HANGUP_CAUSE: 16 } };
}

function send(res, status, reply) {
  const body = JSON.stringify(reply);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8',
                          'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let d;
    try { d = JSON.parse(Buffer.concat(chunks).toString('utf8')).DATA; } catch (e) { d = null; }
    if (!d || typeof d.IVR_UNIQUE_ID !== 'string') {
      return send(res, 400, { STATUS: 1, ERROR: 'bad request' });
    }
    calls.set(d.IVR_UNIQUE_ID, (calls.get(d.IVR_UNIQUE_ID) || 0) + 1);
    send(res, 200, decide(d));
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
