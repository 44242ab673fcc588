// Measures every function of the given JavaScript modules: prints a JSON list of
// {file, name, line, lines} (lines from the function's first line to its last, both counted).
// tests/test_architecture.py runs it over the web app to keep each function under 80 lines.
//
//   node function-lengths.mjs FILE...

import { parse } from "acorn";
import { readFileSync } from "node:fs";

const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/** The name a reader knows a function by: its own, its variable's, its property's or method's. */
function nameOf(node, parent) {
  if (node.id) return node.id.name;
  if (!parent) return "(anonymous)";
  if (parent.type === "VariableDeclarator" && parent.id.type === "Identifier") return parent.id.name;
  if ((parent.type === "Property" || parent.type === "MethodDefinition" || parent.type === "PropertyDefinition") && parent.key) {
    return parent.key.name ?? String(parent.key.value);
  }
  if (parent.type === "AssignmentExpression" && parent.left.type === "MemberExpression" && parent.left.property) {
    return parent.left.property.name ?? "(anonymous)";
  }
  return "(anonymous)";
}

function* functions(node, parent = null) {
  if (!node || typeof node.type !== "string") return;
  if (FUNCTIONS.has(node.type)) yield { node, parent };
  for (const value of Object.values(node)) {
    const children = Array.isArray(value) ? value : [value];
    for (const child of children) {
      if (child && typeof child === "object" && typeof child.type === "string") yield* functions(child, node);
    }
  }
}

const found = [];
for (const file of process.argv.slice(2)) {
  const tree = parse(readFileSync(file, "utf8"), { ecmaVersion: "latest", sourceType: "module", locations: true });
  for (const { node, parent } of functions(tree)) {
    found.push({ file, name: nameOf(node, parent), line: node.loc.start.line, lines: node.loc.end.line - node.loc.start.line + 1 });
  }
}
process.stdout.write(JSON.stringify(found));
