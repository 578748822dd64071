#!/usr/bin/env node
// server.js - the Marketplace test page on loopback: the static page from the
// source tree, the form library from the build tree's node_modules, the
// built manifest, and POST /validate, which runs `connector-host validate`
// on the submitted settings and answers its JSON (what the Marketplace's
// backend would ask the plugin). Prints {"event":"ready","url":...} when up.
'use strict';
const http = require('http');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');

function arg(name) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0 || i + 1 >= process.argv.length) {
    process.stderr.write(`server.js: --${name} is required\n`);
    process.exit(2);
  }
  return process.argv[i + 1];
}

const srcdir = arg('srcdir');
const modules = arg('node-modules');
const manifest = arg('manifest');
const hostBin = arg('host');
const plugin = arg('plugin');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'marketplace-'));

const files = {
  '/': [path.join(srcdir, 'index.html'), 'text/html; charset=utf-8'],
  '/marketplace.js': [path.join(srcdir, 'marketplace.js'), 'text/javascript; charset=utf-8'],
  '/marketplace.css': [path.join(srcdir, 'marketplace.css'), 'text/css; charset=utf-8'],
  '/vendor/jsoneditor.js': [path.join(modules, '@json-editor', 'json-editor', 'dist', 'jsoneditor.js'),
    'text/javascript; charset=utf-8'],
  '/manifest.json': [manifest, 'application/json'],
};

function validate(body, res) {
  const file = path.join(work, 'settings.json');
  fs.writeFileSync(file, body);
  execFile(hostBin, ['validate', '--home', path.join(work, 'home'), '--plugin', plugin,
    '--settings', file], { timeout: 30000 }, (err, stdout, stderr) => {
    let answer;
    try {
      answer = JSON.parse(stdout);
    } catch (e) {
      answer = { valid: false, status: 'host_failed', errors: [{ field: '', code: 'host_failed',
        message: `connector-host validate printed no JSON: ${stderr.trim() || (err && err.message)}` }] };
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/validate') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => validate(Buffer.concat(chunks), res));
    return;
  }
  const f = files[req.url];
  if (req.method !== 'GET' || f === undefined) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  fs.readFile(f[0], (err, data) => {
    if (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`cannot read ${f[0]}: ${err.message}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': f[1], 'Cache-Control': 'no-store' });
    res.end(data);
  });
});

function stop() {
  server.close();
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ event: 'ready', url: `http://127.0.0.1:${port}/` }) + '\n');
});
