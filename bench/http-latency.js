'use strict';
// Latency of one request at a time over one keep-alive connection: no queueing
// in the figure, so what a response waits for (a store's touch, say) shows. A
// raw socket rather than http.request, to keep the client's own cost small and
// the same for every server.
const net = require('node:net');

/**
 * Sends `count` sequential `GET path` requests and resolves with each one's time
 * in microseconds. Rejects on anything but a 200 with a Content-Length body.
 */
function sequentialLatencies(port, path, headers, count) {
  const head = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: keep-alive',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), '', ''].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const times = [];
    let buffer = '';
    let started = 0n;
    const send = () => {
      started = process.hrtime.bigint();
      socket.write(head);
    };
    const fail = (err) => {
      socket.destroy();
      reject(err);
    };
    socket.on('connect', send);
    socket.on('error', fail);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, end));
      if (!length) return fail(new Error(`${path}: response without Content-Length`));
      if (buffer.length < end + 4 + Number(length[1])) return;
      const now = process.hrtime.bigint();
      if (!buffer.startsWith('HTTP/1.1 200')) return fail(new Error(`${path}: ${buffer.slice(0, buffer.indexOf('\r\n'))}`));
      buffer = buffer.slice(end + 4 + Number(length[1]));
      times.push(Number(now - started) / 1000);
      if (times.length < count) return send();
      socket.end();
      resolve(times);
    });
  });
}

module.exports = { sequentialLatencies };
