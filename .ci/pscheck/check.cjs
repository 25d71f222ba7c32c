// PowerShell parse check: parses each file given with tree-sitter-powershell
// (its wasm grammar, run by web-tree-sitter: no native build) and reports
// every ERROR or MISSING node as file:line:column. Exit 0 = clean, 1 = syntax
// problems, 2 = the check itself could not run.
// With --shape first, it also prints each file's syntax tree (named nodes
// only, one line per file: "FILE\tTREE"). A string literal or comment is a
// leaf, so two scripts that differ only in quoted data have the same tree:
// tests use that to prove inventory values are passed as data, not code.
// Install: npm ci --prefix .ci/pscheck (versions pinned in package-lock.json).
'use strict';
const fs = require('fs');
// Baseline-compile the 1 MB grammar only: optimising it costs ~10 s of CPU
// for a parse that takes milliseconds.
require('v8').setFlagsFromString('--liftoff-only');
const path = require('path');

async function main(args) {
  const shape = args[0] === '--shape';
  const files = shape ? args.slice(1) : args;
  if (files.length === 0) {
    console.error('usage: node check.cjs [--shape] FILE.ps1...');
    return 2;
  }
  const { Parser, Language } = require('web-tree-sitter');
  await Parser.init();
  const grammar = path.join(path.dirname(require.resolve('tree-sitter-powershell/package.json')), 'tree-sitter-powershell.wasm');
  const parser = new Parser();
  parser.setLanguage(await Language.load(grammar));
  let problems = 0;
  for (const file of files) {
    const tree = parser.parse(fs.readFileSync(file, 'utf8'));
    if (shape) console.log(`${file}\t${tree.rootNode.toString()}`);
    // Iterative walk: deep scripts must not overflow the stack.
    const stack = [tree.rootNode];
    while (stack.length > 0) {
      const n = stack.pop();
      if (n.isError || n.isMissing) {
        problems++;
        const what = n.isMissing ? 'MISSING ' + n.type : 'ERROR';
        const text = n.text.slice(0, 60).replace(/\s+/g, ' ');
        console.log(`${file}:${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${what}: ${text}`);
      }
      if (n.hasError || n.isMissing) {
        for (let i = n.childCount - 1; i >= 0; i--) stack.push(n.child(i));
      }
    }
  }
  return problems > 0 ? 1 : 0;
}

// exitCode, not exit(): exit() drops stdout still queued for a pipe.
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error('pscheck: ' + (err && err.stack || err)); process.exit(2); });
