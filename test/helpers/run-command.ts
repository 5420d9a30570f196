import { execFile } from 'node:child_process';

/** How a command ended: its exit code (null when it could not start or was killed) and its output. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Children skip c8's coverage: it could not map the packed dist/ to src/, and
// recording TypeScript itself in every tsc run is slow. (Node copies the variable
// into a child's env unless that env has the key: deleting it is not enough.)
const childEnv = { ...process.env, NODE_V8_COVERAGE: '' };

/** Runs a command to its end; never rejects, so a pending run can wait for its test. */
export function run(file: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: childEnv, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr: err != null && code === null ? `${String(err)}\n${stderr}` : stderr });
    });
  });
}
