// bench.js measures ONNX Runtime (onnxruntime-node) predicting with a model
// on 1 thread (intraOpNumThreads = interOpNumThreads = 1): batch-1 latency,
// the mean over many sequential calls (µs per row, the binding's cost
// included), and the rows/s of one batch of BATCH rows (the median of 5
// runs), after warm-up runs. Inputs are fixed pseudo-random values in
// [0, 1), like MNIST's pixels. Prints one JSON line.
//
// Usage: node bench.js MODEL.onnx [CALLS [BATCH]]   (CALLS 20000, BATCH 10000)
//
// The binding's own cost is the batch-1 time of identity.onnx (Identity on
// [N, 784] float32; identity.py writes it): ONNX Runtime's time per row on a
// model is its batch-1 time less that.
"use strict";
const ort = require("onnxruntime-node");

function inputs(n, features, type) {
  const data = type === "float64" ? new Float64Array(n * features) : new Float32Array(n * features);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648;
  }
  return new ort.Tensor(type, data, [n, features]);
}

async function main() {
  const [model, callsArg, batchArg] = process.argv.slice(2);
  if (!model) {
    console.error("usage: node bench.js MODEL.onnx [CALLS [BATCH]]");
    process.exit(2);
  }
  const calls = Number(callsArg || 20000), batch = Number(batchArg || 10000);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" });
  const meta = session.inputMetadata[0];
  const features = meta.shape[1], type = meta.type;
  const name = session.inputNames[0];

  const one = inputs(1, features, type);
  for (let i = 0; i < 1000; i++) await session.run({ [name]: one });
  let t = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await session.run({ [name]: one });
  const batch1 = Number(process.hrtime.bigint() - t) / 1e3 / calls;

  const many = inputs(batch, features, type);
  await session.run({ [name]: many });
  const rates = [];
  for (let r = 0; r < 5; r++) {
    t = process.hrtime.bigint();
    await session.run({ [name]: many });
    rates.push(batch / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  rates.sort((a, b) => a - b);
  console.log(JSON.stringify({
    model, runtime: "onnxruntime-node " + ort.env.versions.common, dtype: type, threads: 1,
    batch1_us_per_row: +batch1.toFixed(3), batch: batch, rows_per_s: Math.round(rates[2]),
  }));
}

main().catch((e) => {
  console.error(`bench.js: error: ${e.message}`);
  process.exit(1);
});
