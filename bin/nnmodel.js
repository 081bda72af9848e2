#!/usr/bin/env node
'use strict';
// The npm/VSIX entry point of the `nnmodel` command; the CLI itself is bundled into dist/cli.js.
require('../dist/cli.js');
