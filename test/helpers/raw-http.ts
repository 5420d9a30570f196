/**
 * HTTP/1.1 over a raw socket: several requests written at once (pipelined on
 * one keep-alive connection), and the bytes that come back cut into
 * responses by their own framing (Content-Length or chunked), as a client
 * would. Anything left over, or a response that does not start with a status
 * line, is a desynchronised connection.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  responses: RawResponse[];
  /** Bytes after the last complete response (a truncated or desynchronised stream). */
  leftover: string;
  /** The bytes as they came, for assertion messages. */
  raw: string;
}

export interface RawRequest {
  path: string;
  method?: string;
  headers?: Record<string, string>;
}

/** Writes all requests at once on one connection, and reads until the server closes it (or `timeoutMs`). */
export function pipeline(port: number, requests: RawRequest[], timeoutMs = 3000): Promise<RawExchange> {
  const text = requests.map(({ path, method = 'GET', headers = {} }, i) => {
    const last = i === requests.length - 1;
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: localhost', ...(last ? ['Connection: close'] : [])];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    return `${lines.join('\r\n')}\r\n\r\n`;
  }).join('');
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('error', () => undefined); // a reset is an outcome like a close
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseResponses(raw), raw });
    });
    socket.write(text);
  });
}

export function parseResponses(raw: string): { responses: RawResponse[]; leftover: string } {
  const responses: RawResponse[] = [];
  let rest = raw;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) break;
    const [statusLine, ...lines] = rest.slice(0, headEnd).split('\r\n');
    const match = /^HTTP\/1\.1 (\d{3})(?: .*)?$/.exec(statusLine);
    if (!match) break;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      let complete = false;
      for (;;) {
        const sizeEnd = rest.indexOf('\r\n', bodyStart);
        if (sizeEnd < 0) break;
        const size = parseInt(rest.slice(bodyStart, sizeEnd), 16);
        if (Number.isNaN(size) || rest.length < sizeEnd + 2 + size + 2) break;
        body += rest.slice(sizeEnd + 2, sizeEnd + 2 + size);
        bodyStart = sizeEnd + 2 + size + 2;
        if (size === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (rest.length < bodyStart + length) break;
      body = rest.slice(bodyStart, bodyStart + length);
      bodyStart += length;
    }
    responses.push({ status: Number(match[1]), headers, body });
    rest = rest.slice(bodyStart);
  }
  return { responses, leftover: rest };
}
