package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// numericRows reads a model's one numeric input tensor: shape [n, inputs],
// its data n·inputs numbers, flat or as n rows.
func numericRows[T float32 | float64](t inputTensor, inputs int) ([]T, int, error) {
	if len(t.Shape) != 2 || t.Shape[0] < 0 || t.Shape[1] != inputs {
		return nil, 0, fmt.Errorf("input %q has shape %v, expected [n, %d]: n rows of the model's %d inputs", t.Name, t.Shape, inputs, inputs)
	}
	n := t.Shape[0]
	var x []T
	if nested(t.Data) {
		var rows [][]T
		if err := json.Unmarshal(t.Data, &rows); err != nil {
			return nil, 0, dataError(t, err)
		}
		if len(rows) != n {
			return nil, 0, fmt.Errorf("input %q has %d rows, but its shape %v says %d", t.Name, len(rows), t.Shape, n)
		}
		x = make([]T, 0, n*inputs)
		for i, r := range rows {
			if len(r) != inputs {
				return nil, 0, fmt.Errorf("input %q: row %d has %d values, expected %d", t.Name, i, len(r), inputs)
			}
			x = append(x, r...)
		}
	} else {
		if err := json.Unmarshal(t.Data, &x); err != nil {
			return nil, 0, dataError(t, err)
		}
		if len(x) != n*inputs {
			return nil, 0, fmt.Errorf("input %q has %d values, but its shape %v needs %d", t.Name, len(x), t.Shape, n*inputs)
		}
	}
	// Decoding leaves a JSON null as 0; a decoded array of numbers holds no
	// strings, so "null" in it can only be an element.
	if bytes.Contains(t.Data, []byte("null")) {
		return nil, 0, fmt.Errorf("input %q: its data holds null, but every element must be a number", t.Name)
	}
	return x, n, nil
}

// nested reports whether data is an array of arrays.
func nested(data json.RawMessage) bool {
	d := bytes.TrimSpace(data)
	return len(d) > 1 && d[0] == '[' && bytes.TrimSpace(d[1:])[0] == '['
}

// dataError rewords an error decoding a tensor's data.
func dataError(t inputTensor, err error) error {
	if len(bytes.TrimSpace(t.Data)) == 0 {
		return fmt.Errorf("input %q has no \"data\"", t.Name)
	}
	if typ, ok := err.(*json.UnmarshalTypeError); ok {
		if strings.HasPrefix(typ.Value, "number ") {
			return fmt.Errorf("input %q (%s): the %s is out of the range of %s", t.Name, t.Datatype, typ.Value, t.Datatype)
		}
		return fmt.Errorf("input %q (%s): its data holds a JSON %s where a number belongs", t.Name, t.Datatype, typ.Value)
	}
	return fmt.Errorf("input %q (%s): %v", t.Name, t.Datatype, err)
}

// columnCells reads a tabular input tensor, one column: shape [n] or
// [n, 1], its cells strings (BYTES) or numbers (FP32, FP64, INT32, INT64),
// kept as written; null is a missing cell.
func columnCells(t inputTensor) ([]string, error) {
	if len(t.Shape) == 0 || len(t.Shape) > 2 || t.Shape[0] < 0 || len(t.Shape) == 2 && t.Shape[1] != 1 {
		return nil, fmt.Errorf("input %q has shape %v, expected [n] or [n, 1]: a column of n cells", t.Name, t.Shape)
	}
	var text bool
	switch t.Datatype {
	case "BYTES":
		text = true
	case "FP32", "FP64", "INT32", "INT64":
	default:
		return nil, fmt.Errorf("input %q has datatype %q, expected BYTES (or FP32, FP64, INT32, INT64 for a numeric column)", t.Name, t.Datatype)
	}
	var raw []json.RawMessage
	if nested(t.Data) {
		var rows [][]json.RawMessage
		if err := json.Unmarshal(t.Data, &rows); err != nil {
			return nil, dataError(t, err)
		}
		for i, r := range rows {
			if len(r) != 1 {
				return nil, fmt.Errorf("input %q: row %d has %d cells, expected 1", t.Name, i, len(r))
			}
			raw = append(raw, r[0])
		}
	} else if err := json.Unmarshal(t.Data, &raw); err != nil {
		return nil, dataError(t, err)
	}
	if len(raw) != t.Shape[0] {
		return nil, fmt.Errorf("input %q has %d cells, but its shape %v says %d", t.Name, len(raw), t.Shape, t.Shape[0])
	}
	cells := make([]string, len(raw))
	for i, c := range raw {
		switch {
		case string(c) == "null":
		case c[0] == '"' && text:
			if err := json.Unmarshal(c, &cells[i]); err != nil {
				return nil, dataError(t, err)
			}
		case c[0] == '-' || c[0] >= '0' && c[0] <= '9':
			if _, err := strconv.ParseFloat(string(c), 64); err != nil {
				return nil, fmt.Errorf("input %q: cell %d, %s, is out of range", t.Name, i, c)
			}
			cells[i] = string(c)
		default:
			want := "a number or null"
			if text {
				want = "a string, a number or null"
			}
			return nil, fmt.Errorf("input %q (%s): cell %d is %s, expected %s", t.Name, t.Datatype, i, c, want)
		}
	}
	return cells, nil
}
