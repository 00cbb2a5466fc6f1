package kernels

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// TestKernelConstantsMatchTheEngine checks common.cuh's ACT_ and LOSS_
// numbers against engine.Activation's and engine.Loss's, by name.
func TestKernelConstantsMatchTheEngine(t *testing.T) {
	src, err := os.ReadFile("common.cuh")
	require.NoError(t, err)
	defines := regexp.MustCompile(`(?m)^#define (ACT|LOSS)_(\w+) (\d+)$`).FindAllStringSubmatch(string(src), -1)
	found := map[string]int{}
	for _, m := range defines {
		n, err := strconv.Atoi(m[3])
		require.NoError(t, err)
		name := strings.ToLower(m[2])
		if m[1] == "ACT" {
			assert.Equal(t, name, engine.Activation(n).String(), "ACT_%s is %d", m[2], n)
		} else {
			assert.Equal(t, name, engine.Loss(n).String(), "LOSS_%s is %d", m[2], n)
		}
		found[m[1]]++
	}
	for a := engine.Linear; a <= engine.Softmax; a++ {
		assert.Contains(t, string(src), "#define ACT_"+strings.ToUpper(a.String())+" "+strconv.Itoa(int(a)), "every activation has its ACT_")
	}
	for l := engine.BCE; l <= engine.CE; l++ {
		assert.Contains(t, string(src), "#define LOSS_"+strings.ToUpper(l.String())+" "+strconv.Itoa(int(l)), "every loss has its LOSS_")
	}
	assert.Equal(t, map[string]int{"ACT": 5, "LOSS": 3}, found)
}

// TestOptimizerConstantsMatchTheEngine checks optim.cuh's OPT_ numbers
// against engine.OptimizerKind's, by name.
func TestOptimizerConstantsMatchTheEngine(t *testing.T) {
	src, err := os.ReadFile("optim.cuh")
	require.NoError(t, err)
	defines := regexp.MustCompile(`(?m)^#define OPT_(\w+) (\d+)$`).FindAllStringSubmatch(string(src), -1)
	for _, m := range defines {
		n, err := strconv.Atoi(m[2])
		require.NoError(t, err)
		assert.Equal(t, strings.ToLower(m[1]), engine.OptimizerKind(n).String(), "OPT_%s is %d", m[1], n)
	}
	assert.Len(t, defines, int(engine.AdamW)+1, "every optimizer has its OPT_")
}
