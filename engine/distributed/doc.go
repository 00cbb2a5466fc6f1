// Package distributed connects the processes of a data-parallel fit, as
// Horovod and PyTorch's DistributedDataParallel do: every process holds the
// whole model and trains on its shard of each global batch; the parameters
// start from process 0's, and after each backward pass the gradients are
// summed over the processes (an all-reduce) before the same update runs
// everywhere.
//
// Comm is what the engine needs of a transport: the process's rank and the
// number of processes, the all-reduce of a float32 or float64 buffer, and a
// broadcast. Two implement it:
//
//   - OpenMPI joins the processes mpirun started, through Open MPI (cgo, in
//     a build with -tags mpi: go build -tags mpi ./cmd/perceptron, after
//     apt-get install libopenmpi-dev openmpi-bin on Debian; on one machine
//     a step's gradients are summed in memory the processes share, below).
//     Without the
//     tag the build stays pure Go and OpenMPI returns ErrNoMPI, which says
//     how to build it. Launched tells whether a launcher such as mpirun
//     started the process.
//   - RunLocal runs goroutines of one process joined by a Comm, so that a
//     data-parallel fit runs, and is tested, without MPI.
//
// On GPUs the gradients live on the device and are all-reduced by NCCL
// (package gpu/internal/nccl); the Comm still starts the processes and
// carries NCCL's unique id from process 0 to the others.
//
// The helpers make collectives of the decisions a fit takes: Agree makes
// every process fail together when one fails, with the first failing
// process's message; SameAsRoot checks that every process has the same
// settings as process 0, naming each that differs with both values; Any tells every process whether one of them saw a
// condition (a signal); Shard splits a batch among the processes. Sums is
// the protocol of the all-reduces that carry flags beside their sums: a
// data-parallel step's gradients with the verdict on its losses, which
// both backends use (the CUDA backend in the same layout on its device),
// and the epoch's totals with each process's failure.
//
// Every function here that takes a Comm, and Sums.AllReduce, is a
// collective: every process of the Comm must call it, in the same order.
// A process waits for the others in each collective for a limited time
// (OpenMPI's and RunLocalTimeout's timeout; by default 10 times the slowest
// step so far, at least a minute), then returns a *TimeoutError naming the
// processes that did not come, and the Comm is broken: its collectives fail
// at once, and its Close ends the whole job (MPI_Abort). Open MPI's
// collectives are its non-blocking ones (MPI_Iallreduce, MPI_Ibcast),
// tested with MPI_Test, without a pause for 20 ms (as fast as the blocking
// MPI_Allreduce: a sleep on a small network's step, whose all-reduce takes
// tens of µs, cost it 250 times its speed), then with sleeps from 50 µs
// that double to 1 ms; MPI cannot say which process a collective misses, so a
// process that timed out sends every other a byte and names those whose
// byte does not come within min(timeout, 5 s): unreachable, stopped, or
// busy elsewhere.
//
// # Open MPI's settings
//
// On 2 processes, OpenMPI makes the ring libnbc's algorithm of
// MPI_Iallreduce (coll_libnbc_iallreduce_algorithm 1) unless the
// environment names one (OMPI_MCA_coll_libnbc_iallreduce_algorithm, which
// mpirun --mca coll_libnbc_iallreduce_algorithm N sets too; a setting in an
// MCA parameter file is overridden, set the variable instead). Open MPI's
// own choice there leaves the reduction to process 0 and took twice as
// long as the ring on W3's gradients (670,000 floats through shared memory
// on the development machine: 0.82–0.92 ms against 0.40–0.46 ms;
// rabenseifner 0.38–0.42 ms), and as long on buffers of 64 and 4,096
// floats; on 2 processes every algorithm's sums are a+b, bit for bit. On 3
// or more the ring's order of the sums depends on where a buffer is cut,
// so that the buckets' size would change the sums' last bits (the ring was
// faster on 3 processes too, 1.5 ms against 1.8): Open MPI's own choice,
// whose order does not, stays, and the model does not depend on the
// buckets. Name the ring (1) to trade that for speed.
//
// Open MPI copies between the processes of one machine with one copy
// from the other process's memory (CMA, process_vm_readv) by default. On
// the development machine, a virtual machine, copying through the shared
// buffers instead (mpirun --mca btl_vader_single_copy_mechanism none) was
// faster: the ring's MPI_Iallreduce of W3's gradients 0.29–0.31 ms
// against 0.40–0.46, the blocking MPI_Allreduce 0.20 ms against 0.31–0.33;
// on bare metal CMA usually wins, so it is not set here: measure it
// (benchmarks/data-parallel.sh's nocma runs). Both matter only where the
// gradients do not live in shared memory (below).
//
// Over TCP between two network namespaces of that machine (.ci/two-hosts),
// the ring's MPI_Iallreduce of W3's gradients took 1.87 ms (1.55–1.88), at
// the floor of one TCP connection measured with plain sockets (2.0 ms;
// benchmarks/allreduce/tcpfloor.c); two connections a peer (mpirun --mca
// btl_tcp_links 2) took 1.53 ms (1.34–1.66), mostly by avoiding the
// spurious retransmissions that the veth pair's reordering across the two
// cores causes there. Between real hosts, measure it: it is not set here.
// None of Open MPI's other TCP settings (socket buffers, eager limit, send
// sizes) changed it.
//
// # Shared memory on one machine
//
// Where every process of an Open MPI job runs on one machine (as Open MPI
// knows it: MPI_Comm_split_type), a data-parallel step's gradients live in
// memory the processes share: NewSumsOn maps one file of /dev/shm into
// every process, each process's Sums its own part of it, and the backward
// pass writes its gradients there. The all-reduce of a buffer there then
// runs without Open MPI and without copying the gradients in or out of
// its queues: each process says it has arrived, sums its share of the
// values over every process's copy into its own copy, says so, and copies
// the other shares' sums from their processes' copies (see segment in
// shared.go: a process writes only its own copy). Each value's sum is
// taken in rank order, as RunLocal's, whatever the buckets: on 2 processes
// the sums are those of Open MPI, bit for bit; on 3 or more their last bits
// may differ from Open MPI's (whose order is its own), but they do not
// depend on the buckets either way. The waits keep the collectives' limits,
// and a process that timed out names those whose count stayed behind (it
// knows them here). The file is removed as soon as every process has
// mapped it; where it cannot be made or mapped (a /dev/shm too small), or
// with PERCEPTRON_SHARED_MEMORY=0 in the environment, the all-reduce stays
// Open MPI's. Other collectives (the epoch's totals, the verdicts, the
// broadcasts) stay Open MPI's.
//
// # Buckets: the all-reduce overlapped with the backward pass
//
// A data-parallel step all-reduces its Sums in buckets (Buckets), as
// PyTorch's DistributedDataParallel does: consecutive parts of the buffer
// of at most Config.BucketBytes (DefaultBucketBytes, 25 MiB, DDP's), cut
// from its end. The backward pass produces the last layer's gradients
// first, which lie at the end, beside the verdict: the step sets the
// verdict after the forward pass (the losses are known then), so the flag
// rides in the first bucket, which starts as soon as the last layer's
// gradients are computed, and every process learns the verdict in the same
// collective as the gradients (no extra reduce). Each bucket starts
// (Starter: MPI_Iallreduce on Open MPI, a goroutine on RunLocal) once the
// gradients it holds are final; between layers' products the step tests
// those under way (Progress), since with one thread a process Open MPI
// moves a non-blocking collective on only when tested; the optimizer waits
// for all (Wait), as clipping by norm needs every gradient. The sums are
// those of one all-reduce, element by element, so the model does not
// depend on the buckets. A Comm that is not a Starter runs each bucket's
// all-reduce blocking. BucketBounds gives the cuts, so that a backend whose
// all-reduce runs elsewhere (the GPU's NCCL) cuts its Sums alike.
//
// # What the all-reduce costs, and when scaling pays (a model)
//
// W3 (784-512-512-10) has 669,706 parameters: its gradients are 2.68 MB in
// float32. A ring all-reduce sends and receives 2(N−1)/N of that per process
// and step, so its time is at least that over the link's bandwidth (the
// latency of its 2(N−1) messages comes on top):
//
//	processes N  per process  10 Gb/s Ethernet  100 Gb/s  NVLink 4, ≈ 450 GB/s a direction
//	2            2.68 MB      2.14 ms           0.21 ms   6 µs
//	8            4.69 MB      3.75 ms           0.38 ms   10 µs
//	64           5.27 MB      4.22 ms           0.42 ms   (NVLink joins the GPUs of one machine)
//
// A step computes B/N examples on each process, t_c = B/(N·r) for a process
// that trains r examples a second. The all-reduce t_ar does not overlap the
// computation here, so N processes run at N·t_c/(t_c + t_ar) times one
// process's speed: more than one process's speed once B > N·r·t_ar/(N−1),
// and 80% of N times it once B ≥ 4·N·r·t_ar. For processes of one core of
// the development machine (W3 float32: r ≈ 47,000 examples/s at one thread;
// benchmarks/results/2026-11-27-data-parallel.md):
//
//	link                                     N = 2      N = 8      N = 64
//	10 Gb/s: faster than one process from    B ≈ 200    B ≈ 200    B ≈ 200
//	10 Gb/s: 80% efficient from              B ≈ 800    B ≈ 5,600  B ≈ 51,000
//	100 Gb/s: faster than one process from   B ≈ 20     B ≈ 20     B ≈ 20
//	100 Gb/s: 80% efficient from             B ≈ 80     B ≈ 560    B ≈ 5,100
//
// A process of k cores trains about k times faster and needs about k times
// those batches; a faster link, or fewer parameters, less. On NVLink the
// transfer takes microseconds and NCCL's per-call latency (tens of
// microseconds) is the term to put in t_ar, against a GPU's r (not measured
// here). On the development machine itself (2 vCPUs, quiet), two processes
// ran W3 at 0.83× two independent ones at batch 256 and 0.89× at 1024 with
// their gradients in shared memory (0.60× and 0.85× through Open MPI's ring;
// benchmarks/results/2026-12-05-shared-memory.md): the model, with the
// all-reduce as it took in the fit (0.22 ms), says 0.92× and 0.97×. It is
// 9–11 points optimistic: processes computing in step took 4.5% longer than
// independent ones, and a step goes at the pace of the slower vCPU (one ran
// up to 26% slower than the other, and which one drifts), while independent
// processes each go at their own. Between two network namespaces of that
// machine over TCP, two processes reached 0.45× and 0.73×: there the
// all-reduce costs at least 1.3–2.0 ms of the same two vCPUs (plain
// sockets, benchmarks/allreduce/tcpfloor.c), so that no transport reaches
// 0.85× at batch 256.
//
// # Testing
//
// go test ./engine/distributed checks Shard's split of a batch, and the
// helpers and the in-process Comm on goroutines (RunLocal): an all-reduce
// sums in rank order, a broadcast, collectives of other sizes on two
// processes refused, Sums' layout and the verdicts' sums in float32 and
// float64, Agree failing every process with the first cause,
// SameAsRoot naming the process that differs and each setting that does
// (every value for a process of another build), Any, Buckets on 3
// processes with and without a Starter (sums bit for bit over two steps,
// values not yet final held NaN so that a bucket started early shows; the
// sums of drawn values in buckets of several sizes those of the whole
// buffer, bit for bit), the buckets' default size and bounds (BucketBounds), a started all-reduce that times out naming
// the missing process, Launched reading the
// launcher's environment, the default timeout's limits (10 times the
// slowest step, at least a minute), and a late or absent process making
// the others time out with an error naming it, after which every
// collective fails at once. Without the mpi tag, OpenMPI's error
// says how to build with it.
//
// go test -tags mpi -run MPI ./engine/distributed (Open MPI installed, as
// CI does) runs the package's own test binary in three processes under
// mpirun (TestMPI, TestMPIChild): each of the Comm's calls on Open MPI,
// Buckets' started all-reduces and the helpers over it, on Sums in shared
// memory (NewSumsOn, whose sums of drawn values must be those in rank
// order, bit for bit, and two started all-reduces waited for in the
// reverse order) and, with PERCEPTRON_SHARED_MEMORY=0, through
// MPI_Iallreduce in pieces; either way the sums of buckets of drawn values
// round bit for bit those of the whole buffer (the order of the sums does
// not depend on the cuts). Every process must pass, and Open MPI reports
// (its mpi_show_mca_params) its own choice of MPI_Iallreduce's algorithm on
// 3 processes. TestMPISegmentFile makes and maps a segment's file in /dev/shm
// (its token where it was written; a file of another token refused), and
// one larger than the file system fails when made, naming its size and
// place, leaving no file. TestMPIAlgorithm runs 2: Open MPI reports the ring, and with
// mpirun --mca coll_libnbc_iallreduce_algorithm 3 the user's choice,
// rabenseifner. TestMPITimeout has process
// 1 of 2 stop taking part: process 0's all-reduce gives up after 300 ms
// naming process 1 (through MPI, which it asks; in shared memory, whose
// count says it did not arrive), and its Close (MPI_Abort) ends the job,
// process 1 included, with a status that is not 0. Data-parallel fits
// themselves are tested by engine/backendtest's DataParallel, on every
// backend, and by the command's tests under mpirun (go doc
// ./cmd/perceptron).
package distributed
