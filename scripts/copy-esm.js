// Copies the hand-written ES module entry points next to the CommonJS build they re-export.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const from = path.join(__dirname, '..', 'esm');
const to = path.join(__dirname, '..', 'build', 'esm');
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
