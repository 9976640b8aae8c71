// The program `pulumi up`, `preview`, `refresh` and `destroy` run (package.json's `main`, with the
// nodejs runtime's TypeScript support off in Pulumi.yaml): index.ts compiled by esbuild into dist/program.js,
// rebuilt first whenever a source changed (components/bundles.cjs). Plain JavaScript, so a deploy
// transpiles and type-checks nothing (CI runs tsc), and with TypeScript and the Automation API
// deferred by the program's preload (program-preload.cjs, Pulumi.yaml `nodeargs`) the program
// process loads no TypeScript compiler at all.
"use strict";
const path = require("node:path");

const root = path.resolve(__dirname, "..");
module.exports = require("./bundles.cjs").program(root);
