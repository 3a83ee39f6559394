// `npm run readme:sdks`: rewrites README.md's supported-SDK table from the SDK definitions.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { withSdkTable } = require('../build/test/helpers/sdk-table.js');

const readme = path.join(__dirname, '..', 'README.md');
fs.writeFileSync(readme, withSdkTable(fs.readFileSync(readme, 'utf8')));
