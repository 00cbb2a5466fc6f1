// bench.js measures ONNX Runtime (onnxruntime-node) predicting with a model
// on 1 thread (intraOpNumThreads = interOpNumThreads = 1, sequential
// execution, graph optimizations "all"), as perceptron's `bench --predict`
// measures its Predictor: batch-1 latency over the first 1,000 rows in turn
// (the mean over many sequential calls, µs per row, the binding's cost
// included), then the rows/s of one batch of all the rows (the median of 5
// runs after one to warm up). Prints one JSON line.
//
// Usage: node bench.js MODEL.onnx [ROWS.f32 [CALLS]]
//
// ROWS.f32: raw little-endian float32 rows (rows.js writes MNIST's test
// images and dense rows); without it, 10,000 rows of fixed pseudo-random
// values in (0, 1). CALLS: batch-1 calls timed (20,000).
//
// The binding's own cost is the batch-1 time of identity.onnx (Identity on
// [N, 784] float32; identity.py writes it): ONNX Runtime's time per row on a
// model is its batch-1 time less that.
"use strict";
const fs = require("fs");
const ort = require("onnxruntime-node");

function generated(n, features) {
  const data = new Float32Array(n * features);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = (s + 1) / 2147483649;
  }
  return data;
}

function read(file, features) {
  const b = fs.readFileSync(file);
  if (b.length === 0 || b.length % (4 * features) !== 0) {
    throw new Error(`${file}: ${b.length} bytes are not whole rows of ${features} float32 inputs`);
  }
  const data = new Float32Array(b.length / 4);
  for (let i = 0; i < data.length; i++) data[i] = b.readFloatLE(4 * i);
  return data;
}

function tensor(data, type, n, features) {
  return new ort.Tensor(type, type === "float64" ? Float64Array.from(data) : data, [n, features]);
}

async function main() {
  const [model, rowsFile, callsArg] = process.argv.slice(2);
  if (!model) {
    console.error("usage: node bench.js MODEL.onnx [ROWS.f32 [CALLS]]");
    process.exit(2);
  }
  const calls = Number(callsArg || 20000);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all",
  });
  const meta = session.inputMetadata[0];
  const features = meta.shape[1], type = meta.type;
  const name = session.inputNames[0];
  const data = rowsFile ? read(rowsFile, features) : generated(10000, features);
  const n = data.length / features;

  const turn = Math.min(n, 1000);
  const ones = [];
  for (let r = 0; r < turn; r++) ones.push(tensor(data.subarray(r * features, (r + 1) * features), type, 1, features));
  for (let i = 0; i < 1000; i++) await session.run({ [name]: ones[i % turn] });
  let t = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await session.run({ [name]: ones[i % turn] });
  const batch1 = Number(process.hrtime.bigint() - t) / 1e3 / calls;

  const many = tensor(data, type, n, features);
  await session.run({ [name]: many });
  const rates = [];
  for (let r = 0; r < 5; r++) {
    t = process.hrtime.bigint();
    await session.run({ [name]: many });
    rates.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  rates.sort((a, b) => a - b);
  console.log(JSON.stringify({
    model, runtime: "onnxruntime-node " + ort.env.versions.common, dtype: type, threads: 1,
    inputs: rowsFile ? rowsFile.split("/").pop() : "generated",
    batch1_us_per_row: +batch1.toFixed(3), batch: n, rows_per_s: Math.round(rates[2]),
  }));
}

main().catch((e) => {
  console.error(`bench.js: error: ${e.message}`);
  process.exit(1);
});
