//go:build cuda

package gpu

// emulated: these tests run on a GPU.
const emulated = false

// emulatorLayout: there is no emulator in a cuda build.
func emulatorLayout(string) (int, []int, bool) { return 0, nil, false }
