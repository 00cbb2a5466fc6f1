package engine

import "fmt"

// DType is the floating-point type a network computes in.
type DType int

const (
	// Float64 computes in IEEE double precision.
	Float64 DType = iota
	// Float32 computes in IEEE single precision.
	Float32
)

// String returns the name used on the command line and in model files.
func (d DType) String() string {
	switch d {
	case Float64:
		return "float64"
	case Float32:
		return "float32"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Size returns the number of bytes of one value.
func (d DType) Size() int {
	if d == Float32 {
		return 4
	}
	return 8
}

// ParseDType parses "float32" or "float64".
func ParseDType(s string) (DType, error) {
	switch s {
	case "float64", "f64":
		return Float64, nil
	case "float32", "f32":
		return Float32, nil
	}
	return 0, fmt.Errorf("unknown dtype %q: expected float32 or float64", s)
}

// Round returns v as the dtype stores it.
func (d DType) Round(v float64) float64 {
	if d == Float32 {
		return float64(float32(v))
	}
	return v
}
