//go:build !mpi

package distributed

import "time"

// OpenMPI returns ErrNoMPI: this binary was built without the mpi tag.
func OpenMPI(time.Duration) (Comm, error) { return nil, ErrNoMPI }
