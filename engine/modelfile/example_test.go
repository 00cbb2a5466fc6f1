package modelfile_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// A network and its feature scaling saved, and loaded back bit for bit: the
// file's tensors are those of the equivalent PyTorch nn.Sequential.
func Example() {
	dir, err := os.MkdirTemp("", "modelfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	layers, err := engine.ParseLayers("4:relu,3:softmax")
	if err != nil {
		log.Fatal(err)
	}
	spec := engine.Spec{Inputs: 2, Layers: layers, Loss: engine.CE, DType: engine.Float32}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	if err != nil {
		log.Fatal(err)
	}
	scaler := &dataset.Scaler{Kind: dataset.Standardise, Offset: []float64{5, 200}, Scale: []float64{0.25, 0.01}}
	if err := modelfile.Save(path, modelfile.Model{Network: net, Scaler: scaler}); err != nil {
		log.Fatal(err)
	}

	// A safetensors file: the header's length, then the header in JSON.
	file, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(file[8:8+binary.LittleEndian.Uint64(file)], &header); err != nil {
		log.Fatal(err)
	}
	var meta map[string]string
	if err := json.Unmarshal(header["__metadata__"], &meta); err != nil {
		log.Fatal(err)
	}
	fmt.Println(meta["torch"])
	delete(header, "__metadata__")
	for _, name := range slices.Sorted(maps.Keys(header)) {
		fmt.Println(name, string(header[name]))
	}

	m, err := modelfile.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same parameters:", reflect.DeepEqual(m.Network, net), "same scaling:", reflect.DeepEqual(m.Scaler, scaler))

	x := []float64{6, 180}
	m.Scaler.Apply(x)
	out, err := engine.Predict(cpu.New(), m.Network, x, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d outputs, summing to %.2f\n", len(out), out[0]+out[1]+out[2])
	// Output:
	// nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.Softmax(dim=-1))
	// 0.bias {"dtype":"F32","shape":[4],"data_offsets":[32,48]}
	// 0.weight {"dtype":"F32","shape":[4,2],"data_offsets":[0,32]}
	// 2.bias {"dtype":"F32","shape":[3],"data_offsets":[96,108]}
	// 2.weight {"dtype":"F32","shape":[3,4],"data_offsets":[48,96]}
	// same parameters: true same scaling: true
	// 3 outputs, summing to 1.00
}

// A regression of labels in the thousands, trained on them standardised
// (dataset.FitTargets) and folded back into the output layer for the
// model file (FoldTarget), as perceptron train does by default: the
// model's predictions are in the labels' units with nothing to apply.
func ExampleFoldTarget() {
	x, y := make([]float64, 0, 400), make([]float64, 0, 200)
	for i := range 200 {
		a, b := float64(i%20)/20, float64(i%7)/7
		x, y = append(x, a, b), append(y, 5000+2000*a-1500*b)
	}
	train := dataset.New(x, slices.Clone(y), 2)
	target := dataset.FitTargets(train)
	target.Apply(train.Labels) // (price − mean) / sd

	layers, err := engine.ParseLayers("16:relu,1:linear")
	if err != nil {
		log.Fatal(err)
	}
	rng := engine.NewRNG(1)
	net, err := engine.NewNetwork(engine.Spec{Inputs: 2, Layers: layers, Loss: engine.MSE, DType: engine.Float64}, engine.InitHe, rng)
	if err != nil {
		log.Fatal(err)
	}
	be := cpu.New()
	if _, err := engine.Fit(context.Background(), net, train, engine.Config{Epochs: 30, LearningRate: 0.01, BatchSize: 1, RNG: rng, Backend: be}); err != nil {
		log.Fatal(err)
	}
	folded, err := modelfile.FoldTarget(net, target)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "modelfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "prices.safetensors")
	if err := modelfile.Save(path, modelfile.Model{Network: folded, Target: target}); err != nil {
		log.Fatal(err)
	}
	m, err := modelfile.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	out, err := engine.Predict(be, m.Network, []float64{1, 0}, 1) // far from the mean price, 5300
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("price of (1, 0) within 150 of 7000:", math.Abs(out[0]-7000) < 150)
	// Output:
	// price of (1, 0) within 150 of 7000: true
}
