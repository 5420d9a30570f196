// Reads the JavaScript samples of a Markdown document, and the marker that may
// precede each one, for test/readme-samples.test.ts. A marker is an HTML
// comment on the line just before the fence (blank lines allowed between):
//
//   <!-- sample: env SESSION_SECRET=s3cret; GET / -> 200 "views: 1" -->
//
// Its directives, separated by `;`, say what the sample needs and what to check.
// See parseDirective for the list. A sample without a marker is run as it is,
// with the free names the README documents (`app`, `secret`, `store`, ...).

/** What the runner does, in order, once the sample has loaded. */
export type Step =
  | { kind: 'request'; method: string; path: string; body: string | undefined; status: number | undefined; text: string | undefined }
  | { kind: 'counter' }
  | { kind: 'store-fails'; methods: string[] }
  | { kind: 'upgrade'; path: string; status: number }
  | { kind: 'socket.io'; event: string; answer: string };

export interface Sample {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  /** The code to run: this block's, after the blocks it is a fragment of. */
  code: string;
  skip: string | undefined;
  env: Record<string, string>;
  needs: Array<'redis' | 'postgres'>;
  express5: boolean;
  appWithSession: boolean;
  steps: Step[];
}

const FENCE = /^```(\w*)\s*$/;
const MARKER = /^<!--\s*sample:\s*(.*?)\s*-->$/;
const REQUEST = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)(?: (?!->)(\S+))?(?: -> (\d{3}))?(?: "([^"]*)")?$/;

/** Every ```js / ```javascript block of `markdown`, with what its marker says. Throws on a bad marker. */
export function readSamples(markdown: string): Sample[] {
  const lines = markdown.split('\n');
  const samples: Sample[] = [];
  let previousCode: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i]!.trim());
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && line.trim() === '```');
    if (end < 0) throw new Error(`line ${i + 1}: code block is not closed`);
    const language = fence[1];
    const body = dedent(lines.slice(i + 1, end));
    const line = i + 1;
    const marker = markerBefore(lines, i);
    i = end;
    if (language !== 'js' && language !== 'javascript') continue;

    const sample: Sample = { line, code: body, skip: undefined, env: {}, needs: [], express5: false, appWithSession: false, steps: [] };
    for (const directive of marker === undefined ? [] : marker.split(';').map((part) => part.trim()).filter(Boolean)) {
      try {
        parseDirective(directive, sample, previousCode);
      } catch (err) {
        throw new Error(`line ${line}: ${(err as Error).message}`);
      }
    }
    previousCode = sample.code;
    samples.push(sample);
  }
  return samples;
}

/** The `<!-- sample: ... -->` text just before line `index`, if any. */
function markerBefore(lines: string[], index: number): string | undefined {
  for (let j = index - 1; j >= 0; j--) {
    const text = lines[j]!.trim();
    if (text === '') continue;
    return MARKER.exec(text)?.[1];
  }
  return undefined;
}

/** Code indented under a list item, brought back to column 0. */
function dedent(lines: string[]): string {
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => /^ */.exec(line)![0].length));
  return lines.map((line) => line.slice(indent)).join('\n');
}

/**
 * One directive:
 * - `skip (reason)`: not run (the reason is required);
 * - `fragment of the previous`: run after the previous block's code, in one program;
 * - `env NAME=value ...`: environment variables the sample reads;
 * - `needs redis` / `needs postgres`: a real server, as `REDIS_URL` / `DATABASE_URL`;
 * - `express 5`: `require('express')` gives Express 5;
 * - `app with session`: the free `app` already has `session({ secret, store, resave: false, saveUninitialized: false })`;
 * - `METHOD /path [form-body] [-> status] ["text in the body"]`: a request (2xx expected unless a status is given);
 * - `counter`: adds `GET /counter` (a view counter) to the app and checks it counts 1, 2 across requests;
 * - `store fails: get, set, ...`: from here on, MemoryStore's methods named fail;
 * - `upgrade /path -> status`: a WebSocket handshake, answered with that HTTP status;
 * - `socket.io event -> "answer"`: a Socket.IO client emits `event` and gets `answer` back (or `connect_error: <message>`).
 */
function parseDirective(directive: string, sample: Sample, previousCode: string | undefined): void {
  let match: RegExpExecArray | null;
  if ((match = /^skip \((.+)\)$/.exec(directive))) {
    sample.skip = match[1];
  } else if (directive === 'fragment of the previous') {
    if (previousCode === undefined) throw new Error('"fragment of the previous" on the first sample');
    sample.code = `${previousCode}\n${sample.code}`;
  } else if ((match = /^env ((?:\w+=\S*\s*)+)$/.exec(directive))) {
    for (const pair of match[1]!.trim().split(/\s+/)) {
      const [name, ...value] = pair.split('=');
      sample.env[name!] = value.join('=');
    }
  } else if ((match = /^needs (redis|postgres)$/.exec(directive))) {
    sample.needs.push(match[1] as 'redis' | 'postgres');
  } else if (directive === 'express 5') {
    sample.express5 = true;
  } else if (directive === 'app with session') {
    sample.appWithSession = true;
  } else if (directive === 'counter') {
    sample.steps.push({ kind: 'counter' });
  } else if ((match = /^store fails: (\w+(?:, \w+)*)$/.exec(directive))) {
    sample.steps.push({ kind: 'store-fails', methods: match[1]!.split(', ') });
  } else if ((match = /^upgrade (\/\S*) -> (\d{3})$/.exec(directive))) {
    sample.steps.push({ kind: 'upgrade', path: match[1]!, status: Number(match[2]) });
  } else if ((match = /^socket\.io (\S+) -> "([^"]*)"$/.exec(directive))) {
    sample.steps.push({ kind: 'socket.io', event: match[1]!, answer: match[2]! });
  } else if ((match = REQUEST.exec(directive))) {
    const [, method, path, body, status, text] = match;
    sample.steps.push({ kind: 'request', method: method!, path: path!, body, status: status === undefined ? undefined : Number(status), text });
  } else {
    throw new Error(`unknown sample directive: ${directive}`);
  }
}
