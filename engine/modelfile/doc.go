// Package modelfile saves and loads networks as safetensors files.
//
// The tensors are named as the state_dict of the equivalent PyTorch
// nn.Sequential (Linear layers and activation modules interleaved):
// "0.weight" [out, in], "0.bias" [out], "2.weight", ... in F32 or F64, and the
// architecture goes in __metadata__, so that in Python
//
//	state = safetensors.torch.load_file("model.safetensors")
//	model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=-1))
//	model.load_state_dict(state)
//
// reads it (the metadata key "torch" spells out that nn.Sequential). Files
// are written atomically; loading validates the header and reports the first
// thing wrong, and a save → load round trip is bit-exact.
package modelfile
