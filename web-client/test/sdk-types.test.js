// Checks the SDK's TypeScript declarations (sdk/roundtable.d.ts) against the code
// (sdk/roundtable.js) with the TypeScript compiler: the declarations compile
// strictly with a program that uses them (test/types/usage.ts), and the values
// they declare (classes and their methods, functions, constants) are the ones
// the module defines, with the same parameters: both files read by the compiler.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const DTS = path.resolve(here, '..', 'sdk', 'roundtable.d.ts');
const JS = path.resolve(here, '..', 'sdk', 'roundtable.js');

function compile(files) {
  const program = ts.createProgram(files, {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  return ts.getPreEmitDiagnostics(program).map((d) =>
    `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

// The values a file defines: {classes: {name: {method: params}}, functions:
// {name: params}, consts: [names]}; private (`_`) methods left out. A parameter
// is its name, or '*' when the code destructures it (the declaration names it).
function values(file) {
  const params = (fn) => fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : '*'));
  const source = ts.createSourceFile(file, ts.sys.readFile(file), ts.ScriptTarget.ES2022, true);
  const out = { classes: {}, functions: {}, consts: [] };
  for (const st of source.statements) {
    if (ts.isClassDeclaration(st) && st.name) {
      const methods = {};
      for (const m of st.members) {
        const name = m.name && m.name.getText(source);
        if (ts.isMethodDeclaration(m) && !name.startsWith('_')) methods[name] = params(m);
      }
      out.classes[st.name.text] = methods;
    } else if (ts.isFunctionDeclaration(st) && st.name && st.modifiers?.some((x) => x.kind === ts.SyntaxKind.ExportKeyword)) {
      out.functions[st.name.text] = params(st);
    } else if (ts.isVariableStatement(st) && st.modifiers?.some((x) => x.kind === ts.SyntaxKind.ExportKeyword)) {
      for (const d of st.declarationList.declarations) out.consts.push(d.name.getText(source));
    }
  }
  return out;
}

describe('SDK declarations', () => {
  it('compile strictly with a program that uses them', () => {
    assert.deepEqual(compile([DTS, path.join(here, 'types', 'usage.ts')]), []);
  });

  it('declare what the module defines, with the same parameters', () => {
    const declared = values(DTS);
    const code = values(JS);
    assert.deepEqual(declared.consts.sort(), code.consts.sort());
    assert.deepEqual(declared.functions, code.functions);
    assert.deepEqual(Object.keys(declared.classes).sort(), Object.keys(code.classes).sort());
    for (const [cls, methods] of Object.entries(code.classes)) {
      const wanted = declared.classes[cls];
      assert.deepEqual(Object.keys(wanted).sort(), Object.keys(methods).sort(), `methods of ${cls}`);
      for (const [m, ps] of Object.entries(methods)) {
        const same = ps.length === wanted[m].length && ps.every((p, i) => p === '*' || p === wanted[m][i]);
        assert.ok(same, `${cls}.${m}(${ps.join(', ')}) is declared as (${wanted[m].join(', ')})`);
      }
    }
  });
});
