package distributed

import (
	"os"
	"strconv"
)

// launcherVariables are the environment variables in which MPI launchers
// give a process the number of processes they started: Open MPI's mpirun,
// and the launchers that speak PMI (MPICH's Hydra, Slurm's srun).
var launcherVariables = []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}

// Launched returns the number of processes that an MPI launcher started
// together with this one, and the environment variable that says so; 0 and
// "" when no launcher started this process.
func Launched() (size int, variable string) {
	for _, v := range launcherVariables {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n > 0 {
			return n, v
		}
	}
	return 0, ""
}
