//go:build !mpi

package distributed

// OpenMPI returns ErrNoMPI: this binary was built without the mpi tag.
func OpenMPI() (Comm, error) { return nil, ErrNoMPI }
