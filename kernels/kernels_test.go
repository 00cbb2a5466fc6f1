package kernels

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kernels each family's PTX must define, without their precision suffix.
var entries = map[string][]string{
	"dense": {"softmax_rows", "dense_delta", "dense_forward_batch", "dense_backward_data_batch",
		"dense_update_batch", "bias_update_batch"},
	"epoch":  {"gather_rows", "epoch_totals"},
	"output": {"output_grad"},
	"sgd":    {"sgd_steps"},
}

func TestEveryFamilyHasItsKernelsInBothPrecisions(t *testing.T) {
	require.ElementsMatch(t, Families, []string{"dense", "epoch", "output", "sgd"})
	entry := regexp.MustCompile(`\.visible \.entry (\w+)\(`)
	for _, family := range Families {
		for _, precision := range []string{"f32", "f64"} {
			src, err := PTX(family, precision)
			require.NoError(t, err)
			assert.Contains(t, src, ".target sm_70", "%s_%s: compiled for compute_70", family, precision)
			var found []string
			for _, m := range entry.FindAllStringSubmatch(src, -1) {
				found = append(found, m[1])
			}
			var want []string
			for _, name := range entries[family] {
				want = append(want, name+"_"+precision)
			}
			assert.ElementsMatch(t, want, found, "%s_%s", family, precision)
		}
	}
	_, err := PTX("conv", "f32")
	assert.ErrorContains(t, err, "no PTX for conv")
}
