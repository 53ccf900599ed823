// Validates `brrt-stat snapshot --format json` output against docs/snapshot.schema.json.
//   node validate.mjs SCHEMA FILE...
// Each FILE holds one or more JSON documents one after the other (interval mode prints one per
// view); every document must be valid. Prints the errors and exits 1 otherwise.
// Also a module: splitDocuments(text) for the other checks in test_cli.sh.
// ajv is resolved from $BRRT_NODE_DIR (where test_cli.sh ran `npm ci`), else from here.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Splits concatenated JSON texts at the end of each top-level value, honouring strings and
// escapes, so that braces inside label values or help texts cannot fool it.
export function splitDocuments(text) {
  const docs = [];
  let depth = 0, inString = false, escaped = false, start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') { if (depth++ === 0) start = i; }
    else if (c === '}' || c === ']') {
      if (--depth === 0) docs.push(text.slice(start, i + 1));
      if (depth < 0) throw new Error(`unbalanced "${c}" at offset ${i}`);
    } else if (depth === 0 && !/\s/.test(c)) throw new Error(`stray "${c}" at offset ${i}`);
  }
  if (depth !== 0 || inString) throw new Error('truncated JSON document at the end');
  return docs.map((d) => JSON.parse(d));
}

function main(argv) {
  if (argv.length < 2) {
    console.error('usage: node validate.mjs SCHEMA FILE...');
    return 2;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const require = createRequire(join(process.env.BRRT_NODE_DIR || here, 'package.json'));
  const Ajv2020 = require('ajv/dist/2020').default;
  // strict: unknown keywords in the schema are errors. Formats are annotations here (no
  // ajv-formats); the timestamp fields carry an equivalent pattern.
  const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(argv[0], 'utf8')));
  let bad = 0;
  for (const file of argv.slice(1)) {
    let docs;
    try {
      docs = splitDocuments(readFileSync(file, 'utf8'));
    } catch (e) {
      console.error(`${file}: ${e.message}`);
      bad++;
      continue;
    }
    if (docs.length === 0) {
      console.error(`${file}: no JSON document`);
      bad++;
    }
    docs.forEach((doc, i) => {
      if (!validate(doc)) {
        bad++;
        for (const e of validate.errors)
          console.error(`${file}: document ${i + 1}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
      }
    });
  }
  return bad ? 1 : 0;
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url)
  process.exitCode = main(process.argv.slice(2));
