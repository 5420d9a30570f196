'use strict';
// `npm start` runs this first: it builds dist/ (`npm run build`) only when dist/
// is missing or older than what it is built from, so a second start is instant.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const DIST = path.join(root, 'dist');

/** The latest change under a path; a directory counts too (a file deleted or renamed in it). */
function newest(file) {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(file).map((name) => newest(path.join(file, name))));
}

/** The earliest write of the build: every file of it must be newer than the inputs. */
function oldestOutput() {
  if (!fs.existsSync(path.join(DIST, 'index.js'))) return -Infinity;
  return Math.min(...fs.readdirSync(DIST).map((name) => fs.statSync(path.join(DIST, name)).mtimeMs));
}

const inputsChanged = Math.max(...INPUTS.map((name) => newest(path.join(root, name))));
if (oldestOutput() > inputsChanged) {
  console.log('dist/ is up to date: no build needed');
} else {
  // Through the npm that runs this script (npm_execpath), or the one on PATH.
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exitCode = result.status ?? 1;
}
