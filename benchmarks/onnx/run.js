// run.js runs an ONNX model in ONNX Runtime (onnxruntime-node) on the rows
// of a CSV and prints one line of outputs per row, as `perceptron predict`
// does (each value as JavaScript writes a double: enough digits to read it
// back exactly).
//
// Usage: node run.js MODEL.onnx ROWS.csv
//
// ROWS.csv holds numbers, comma-separated; a first line that is not all
// numbers is a header and is skipped; an empty cell, NA or NaN is NaN. The
// model's input is "input" [N, features] in its own element type (float or
// double), run on 1 thread.
"use strict";
const fs = require("fs");
const ort = require("onnxruntime-node");

function readRows(path) {
  const lines = fs.readFileSync(path, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
  const parse = (cell, line, col) => {
    const c = cell.trim();
    if (c === "" || /^(na|nan|\?)$/i.test(c)) return NaN;
    const v = Number(c);
    if (Number.isNaN(v)) throw new Error(`${path}:${line}: column ${col}: expected a number, found "${c}"`);
    return v;
  };
  let start = 0;
  if (lines.length > 0 && lines[0].split(",").some((c) => c.trim() !== "" && Number.isNaN(Number(c)) && !/^(na|nan|\?)$/i.test(c.trim()))) start = 1;
  return lines.slice(start).map((l, i) => l.split(",").map((c, j) => parse(c, start + i + 1, j + 1)));
}

async function main() {
  const [model, rowsPath] = process.argv.slice(2);
  if (!model || !rowsPath) {
    console.error("usage: node run.js MODEL.onnx ROWS.csv");
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const meta = session.inputMetadata ? session.inputMetadata[0] : null;
  const rows = readRows(rowsPath);
  const features = rows.length ? rows[0].length : 0;
  rows.forEach((r, i) => {
    if (r.length !== features) throw new Error(`${rowsPath}: row ${i + 1} has ${r.length} cells, expected ${features}`);
  });
  const type = meta && meta.type ? meta.type : "float32";
  const data = type === "float64" ? new Float64Array(rows.length * features) : new Float32Array(rows.length * features);
  rows.forEach((r, i) => data.set(r, i * features));
  const out = await session.run({ input: new ort.Tensor(type, data, [rows.length, features]) });
  const y = out.output;
  const k = y.dims[1];
  const lines = [];
  for (let i = 0; i < rows.length; i++) lines.push(Array.from(y.data.slice(i * k, (i + 1) * k)).join(","));
  process.stdout.write(lines.join("\n") + (lines.length ? "\n" : ""));
}

main().catch((e) => {
  console.error(`run.js: error: ${e.message}`);
  process.exit(1);
});
