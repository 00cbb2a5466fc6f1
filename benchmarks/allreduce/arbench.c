/*
 * arbench: Open MPI's all-reduce of N floats (MPI_IN_PLACE, MPI_SUM,
 * MPI_COMM_WORLD), for comparison with tcpfloor.c (issue 28). MODE i:
 * MPI_Iallreduce tested in a loop (MPI_Test), as engine/distributed does;
 * b: the blocking MPI_Allreduce. It checks the sums of the first call, runs
 * 10 untimed (Open MPI connects on first use), then ITERS timed, and
 * process 0 prints the mean ms per all-reduce and the median, 10th and 90th
 * percentiles and maximum of the calls.
 *
 *   mpicc -O2 -o /tmp/arbench benchmarks/allreduce/arbench.c
 *   .ci/two-hosts up
 *   .ci/two-hosts mpirun -np 2 --mca coll_libnbc_iallreduce_algorithm 1 /tmp/arbench i 669707 200
 *   .ci/two-hosts down
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
static int byTime(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
int main(int argc, char **argv) {
	MPI_Init(&argc, &argv);
	int r;
	MPI_Comm_rank(MPI_COMM_WORLD, &r);
	if (argc != 4 || (argv[1][0] != 'i' && argv[1][0] != 'b') || atoi(argv[2]) < 1 || atoi(argv[3]) < 1) {
		if (!r) fprintf(stderr, "usage: arbench i|b N ITERS (N, ITERS at least 1)\n");
		MPI_Finalize();
		return 2;
	}
	char mode = argv[1][0];
	int n = atoi(argv[2]), it = atoi(argv[3]);
	float *b = malloc(n * sizeof *b);
	double *t = malloc(it * sizeof *t);
	for (int i = -10; i < it; i++) {
		if (i == -10 || i == 0)
			for (int j = 0; j < n; j++) b[j] = (j % 1000) * (r + 1); /* sums: 3 × (j % 1000) */
		double t0 = MPI_Wtime();
		if (mode == 'i') {
			MPI_Request q;
			int done = 0;
			MPI_Iallreduce(MPI_IN_PLACE, b, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &q);
			while (!done) MPI_Test(&q, &done, MPI_STATUS_IGNORE);
		} else {
			MPI_Allreduce(MPI_IN_PLACE, b, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
		}
		if (i >= 0) t[i] = MPI_Wtime() - t0;
		if (i == -10 || i == 0)
			for (int j = 0; j < n; j++)
				if (b[j] != 3 * (float)(j % 1000)) {
					fprintf(stderr, "arbench: process %d: sum %d is %g, expected %g\n", r, j, b[j], 3.0 * (j % 1000));
					MPI_Abort(MPI_COMM_WORLD, 1);
				}
		if (i == -1) MPI_Barrier(MPI_COMM_WORLD);
	}
	double s = 0;
	for (int i = 0; i < it; i++) s += t[i];
	qsort(t, it, sizeof *t, byTime);
	if (!r) printf("arbench %s n=%d: %.3f ms per all-reduce (mean of %d), median %.3f ms (p10 %.3f p90 %.3f max %.3f)\n", mode == 'i' ? "iallreduce" : "allreduce", n, s / it * 1e3, it, t[it / 2] * 1e3, t[it / 10] * 1e3, t[it * 9 / 10] * 1e3, t[it - 1] * 1e3);
	MPI_Finalize();
	return 0;
}
