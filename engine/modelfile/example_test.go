package modelfile_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log"
	"maps"
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
