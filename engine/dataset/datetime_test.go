package dataset

import (
	"testing"
	"time"
)

// BenchmarkParseDateTime compares parseDateTime with time.Parse, which
// would need a layout tried after another for a column of several.
func BenchmarkParseDateTime(b *testing.B) {
	const cell = "2019-03-23 20:21:09"
	b.Run("parseDateTime", func(b *testing.B) {
		for b.Loop() {
			if _, ok := parseDateTime(cell); !ok {
				b.Fatal(cell)
			}
		}
	})
	b.Run("time.Parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := time.Parse(time.DateTime, cell); err != nil {
				b.Fatal(err)
			}
		}
	})
}
