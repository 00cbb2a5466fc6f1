package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/gpu"
)

func info(args []string, stdout, stderr io.Writer) error {
	_, parse := newFlags("info", "", stderr)
	if err := parse(args); err != nil {
		return err
	}
	version, tags := "(unknown)", "none"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "-tags" {
				tags = s.Value
			}
		}
	}
	fmt.Fprintf(stdout, "perceptron %s\ngo         %s %s/%s\nbuild tags %s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, tags)
	fmt.Fprintf(stdout, "backends   cpu (%s, %d threads)", cpu.New().Device(), runtime.GOMAXPROCS(0))
	devices, err := gpu.Devices()
	if err != nil {
		fmt.Fprintf(stdout, "\ncuda       unavailable: %v\n", err)
		return nil
	}
	fmt.Fprintf(stdout, ", cuda\n")
	for i, d := range devices {
		fmt.Fprintf(stdout, "gpu %d      %s\n", i, d)
	}
	if len(devices) == 0 {
		fmt.Fprintln(stdout, "gpus       none found")
	}
	return nil
}
