// rows.js writes the rows both runtimes predict in compare-onnx.sh, as raw
// little-endian float32s, 784 a row: mnist.f32, MNIST's 10,000 test images
// with pixels scaled to [0, 1] as perceptron reads them (about 81% of them
// 0), and dense.f32, 10,000 rows of fixed pseudo-random values in (0, 1),
// none 0 (bench.js's generator).
//
// Usage: node rows.js MNIST_DIR OUT_DIR   (MNIST_DIR: GoMNIST's data/ folder)
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

function mnist(dir) {
  const file = path.join(dir, "t10k-images-idx3-ubyte.gz");
  const b = zlib.gunzipSync(fs.readFileSync(file));
  if (b.readUInt32BE(0) !== 2051) throw new Error(`${file}: not an IDX file of images (magic ${b.readUInt32BE(0)}, expected 2051)`);
  const n = b.readUInt32BE(4), features = b.readUInt32BE(8) * b.readUInt32BE(12);
  if (features !== 784 || b.length !== 16 + n * features) throw new Error(`${file}: ${n} images of ${features} pixels in ${b.length} bytes, expected 784 pixels each`);
  const x = new Float32Array(n * features);
  for (let i = 0; i < x.length; i++) x[i] = b[16 + i] / 255;
  return x;
}

function dense(n, features) {
  const x = new Float32Array(n * features);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = (s + 1) / 2147483649;
  }
  return x;
}

function main() {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    console.error("usage: node rows.js MNIST_DIR OUT_DIR");
    process.exit(2);
  }
  for (const [name, x] of [["mnist.f32", mnist(dir)], ["dense.f32", dense(10000, 784)]]) {
    fs.writeFileSync(path.join(out, name), Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  }
}

try {
  main();
} catch (e) {
  console.error(`rows.js: error: ${e.message}`);
  process.exit(1);
}
