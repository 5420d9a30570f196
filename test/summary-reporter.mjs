// The `npm test` reporter: a dot per test while the suite runs, then each
// failure with its error, its location and the stderr of its file, the skipped
// tests with their reasons, and node:test's own counts (`# pass N`, `# fail N`).
// `npm run test:tap` (or TEST_REPORTER=tap) gives the full TAP stream instead.
import path from 'node:path';
import { inspect } from 'node:util';

/**
 * @typedef {{ name?: string, nesting?: number, file?: string, line?: number, column?: number, message?: string,
 *   skip?: string | boolean, todo?: string | boolean,
 *   details?: { type?: string, error?: Error & { cause?: unknown, failureType?: string } } }} EventData
 */

/** Output lines a file may print before its failure report gets long. */
const STDERR_LINES = 60;
const DOTS_PER_LINE = 80;

/** @param {AsyncIterable<{ type: string, data: EventData }>} source */
export default async function* summaryReporter(source) {
  /** @type {Map<string, string[]>} the names of the tests running in each file, by nesting */
  const titles = new Map();
  /** @type {Map<string, string[]>} the last lines each file printed */
  const output = new Map();
  /** @type {{ title: string, file: string | undefined, error: unknown }[]} */
  const failures = [];
  /** @type {string[]} */
  const skipped = [];
  /** @type {string[]} */
  const counts = [];
  let dots = 0;

  /** @param {EventData} data */
  const title = (data) => {
    const stack = (titles.get(data.file ?? '') ?? []).slice(0, data.nesting ?? 0);
    const where = data.file ? `${relative(data.file)}${data.line ? `:${data.line}:${data.column ?? 1}` : ''}` : '';
    return [where, ...stack, data.name === data.file ? '' : data.name].filter(Boolean).join(' › ');
  };
  /** @param {string} mark */
  function* dot(mark) {
    yield mark;
    if (++dots % DOTS_PER_LINE === 0) yield '\n';
  }

  for await (const { type, data } of source) {
    switch (type) {
      case 'test:start': {
        const stack = titles.get(data.file ?? '') ?? [];
        stack.length = data.nesting ?? 0;
        stack.push(data.name ?? '');
        titles.set(data.file ?? '', stack);
        break;
      }
      case 'test:pass':
        if (data.details?.type === 'suite') break;
        if (data.skip !== undefined || data.todo !== undefined) {
          const reason = data.skip ?? data.todo;
          skipped.push(`${title(data)}${typeof reason === 'string' ? ` (${reason})` : ''}`);
          yield* dot('s');
        } else {
          yield* dot('.');
        }
        break;
      case 'test:fail': {
        const error = data.details?.error;
        // A suite (or a file) whose tests failed: those failures are reported one by one.
        if (data.details?.type === 'suite' || error?.failureType === 'subtestsFailed') break;
        failures.push({ title: title(data), file: data.file, error: error?.cause ?? error });
        yield* dot('x');
        break;
      }
      case 'test:stderr':
      case 'test:stdout': {
        const file = absolute(data.file);
        const lines = output.get(file) ?? [];
        lines.push(...String(data.message ?? '').replace(/\n$/, '').split('\n'));
        if (lines.length > STDERR_LINES) lines.splice(0, lines.length - STDERR_LINES);
        output.set(file, lines);
        break;
      }
      case 'test:diagnostic':
        // The run's own totals come last, at nesting 0 ("tests 5", "pass 4", ...).
        if (data.nesting === 0 && /^[a-z_]+ [\d.]+$/.test(data.message ?? '')) counts.push(`# ${data.message}`);
        break;
      default:
        break;
    }
  }

  if (dots % DOTS_PER_LINE !== 0) yield '\n';
  if (skipped.length > 0) {
    yield `\nSkipped (${skipped.length}):\n${skipped.map((line) => `  - ${line}\n`).join('')}`;
  }
  const printedOutput = new Set();
  for (const [index, failure] of failures.entries()) {
    yield `\n${index + 1}) ${failure.title}\n${indent(describeError(failure.error))}\n`;
    const lines = output.get(absolute(failure.file));
    if (lines && lines.length > 0 && !printedOutput.has(failure.file)) {
      printedOutput.add(failure.file);
      yield `   output of ${relative(failure.file)} (last ${STDERR_LINES} lines at most):\n${indent(lines.join('\n'))}\n`;
    }
  }
  if (failures.length > 0) yield `\n${failures.length} failed: see above (full TAP: npm run test:tap)\n`;
  yield `\n${counts.join('\n')}\n`;
}

/** An error as inspect() shows it (the assertion diff included), without Node's own stack frames. */
function describeError(/** @type {unknown} */ error) {
  if (typeof error === 'string') return error;
  const kept = [];
  for (const line of inspect(error, { depth: 6 }).split('\n')) {
    if (!/^ +at .*(node:internal\/|node:async_hooks|Promise\.all \(index)/.test(line)) kept.push(line);
    // The last frame carries the opening brace of the error's own properties.
    else if (line.endsWith(' {')) kept[kept.length - 1] += ' {';
  }
  return kept.join('\n');
}

/** @param {string} text */
function indent(text) {
  return text.replace(/^/gm, '   ');
}

/** @param {string} file */
function relative(file) {
  return path.relative(process.cwd(), absolute(file));
}

/** A test file's path: events name it absolute, relative (output events of newer Nodes) or as a file: URL. */
function absolute(/** @type {string | undefined} */ file) {
  if (file === undefined) return '';
  return path.resolve(file.startsWith('file://') ? new URL(file).pathname : file);
}
