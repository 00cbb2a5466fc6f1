package cpu_test

import (
	"testing"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine/backendtest"
)

func TestBackend(t *testing.T) { backendtest.Run(t, cpu.New()) }
