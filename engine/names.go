package engine

import (
	"fmt"
	"strings"
)

// enumName returns names[v], or kind(v) for a value outside the table.
func enumName[E ~int](names []string, kind string, v E) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", kind, int(v))
}

// parseEnum returns the value whose name is s, or an error listing the names.
func parseEnum[E ~int](names []string, kind, s string) (E, error) {
	for i, n := range names {
		if n == s {
			return E(i), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q: expected %s", kind, s, strings.Join(names, ", "))
}
