/*
 * tcpfloor: the least a 2-process all-reduce over TCP can cost on a link,
 * measured with plain sockets (issue 28). Each of the two processes owns
 * half of an N-float buffer; one all-reduce is what a 2-process ring does:
 * send the other half and receive the other's copy of one's own (half the
 * buffer each way), adding it as it arrives, then send one's summed half
 * and receive the other's (so the whole buffer out and in per process).
 * Both directions go at once (nonblocking sockets, one poll loop), over
 * CONNS connections (each exchange cut in CONNS parts) with
 * SO_SNDBUF/SO_RCVBUF of BUF bytes (0: the kernel's autotuning). It checks
 * the first all-reduce's sums, runs 10 untimed, then ITERS timed, and
 * process 0 prints the mean ms per all-reduce and the median, 10th and
 * 90th percentiles and maximum of the calls. arbench.c here measures Open
 * MPI's all-reduce the same way.
 *
 *   cc -O2 -o /tmp/tcpfloor benchmarks/allreduce/tcpfloor.c
 *   .ci/two-hosts up
 *   ip netns exec perceptron-h1 taskset -c 1 /tmp/tcpfloor 1 10.231.0.1 &
 *   ip netns exec perceptron-h0 taskset -c 0 /tmp/tcpfloor 0 10.231.0.1
 *   wait; .ci/two-hosts down
 *
 * Arguments: RANK (0 listens, 1 connects) ADDRESS (process 0's) [N (669707,
 * W3's gradients) [ITERS (200) [BUF (4194304) [SPIN (0: poll; 1: spin on
 * the nonblocking calls, as MPI_Test loops do) [CONNS (1)]]]]]]. Port 47311.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { port = 47311, warm = 10, maxConns = 16 };

static void die(const char *what) {
	perror(what);
	exit(1);
}

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* connect_all opens conns connections between the two processes (process
 * 0 accepts them on addr), each nonblocking, without Nagle, and with
 * SO_SNDBUF/SO_RCVBUF of buf bytes where buf > 0. */
static void connect_all(int rank, const char *addr, int buf, int conns, int *s) {
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcpfloor: %s is not an IPv4 address\n", addr);
		exit(2);
	}
	int one = 1, l = -1;
	for (int c = 0; c < conns + (rank == 0); c++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) die("socket");
		/* Set before listen/connect, so that the window scale allows them
		 * (accepted sockets inherit the listener's). */
		if (buf > 0 && (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf) || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf)))
			die("setsockopt SO_SNDBUF/SO_RCVBUF");
		if (rank == 0 && l < 0) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
			if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, conns)) die("bind/listen");
			l = fd;
			continue;
		}
		if (rank == 0) {
			close(fd);
			if ((fd = accept(l, NULL, NULL)) < 0) die("accept");
		} else {
			for (int tries = 0; connect(fd, (struct sockaddr *)&sa, sizeof sa); tries++) {
				if (tries == 100) die("connect");
				usleep(50000);
			}
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (fcntl(fd, F_SETFL, O_NONBLOCK)) die("fcntl");
		s[c - (rank == 0)] = fd;
	}
	if (l >= 0) close(l);
}

/* part is the first float of part c of n floats cut in conns parts. */
static size_t part(size_t n, int c, int conns) { return n * c / conns; }

/* exchange sends nout floats from out while it receives nin floats into
 * in, part c of each on connection s[c], and adds the floats received into
 * sum as they arrive when sum is not NULL. */
static void exchange(const int *s, int conns, const float *out, size_t nout, float *in, size_t nin, float *sum, int spin) {
	size_t sent[maxConns] = {0}, got[maxConns] = {0}, added[maxConns] = {0};
	for (int left = 1; left;) {
		left = 0;
		struct pollfd p[maxConns];
		for (int c = 0; c < conns; c++) {
			size_t o = (part(nout, c + 1, conns) - part(nout, c, conns)) * sizeof(float), i = (part(nin, c + 1, conns) - part(nin, c, conns)) * sizeof(float);
			p[c] = (struct pollfd){.fd = s[c], .events = (sent[c] < o ? POLLOUT : 0) | (got[c] < i ? POLLIN : 0)};
			left |= p[c].events != 0;
		}
		if (!left) break;
		if (!spin && poll(p, conns, 10000) <= 0) die("poll");
		for (int c = 0; c < conns; c++) {
			size_t o = (part(nout, c + 1, conns) - part(nout, c, conns)) * sizeof(float), i = (part(nin, c + 1, conns) - part(nin, c, conns)) * sizeof(float);
			const char *from = (const char *)(out + part(nout, c, conns));
			char *to = (char *)(in + part(nin, c, conns));
			if (sent[c] < o) {
				ssize_t k = send(s[c], from + sent[c], o - sent[c], MSG_DONTWAIT);
				if (k > 0) sent[c] += k;
				else if (k < 0 && errno != EAGAIN) die("send");
			}
			if (got[c] < i) {
				ssize_t k = recv(s[c], to + got[c], i - got[c], MSG_DONTWAIT);
				if (k > 0) got[c] += k;
				else if (k == 0) { fprintf(stderr, "tcpfloor: the other process closed\n"); exit(1); }
				else if (errno != EAGAIN) die("recv");
			}
			if (sum) {
				const float *f = (const float *)to;
				float *d = sum + part(nin, c, conns);
				for (; added[c] < got[c] / sizeof(float); added[c]++) d[added[c]] += f[added[c]];
			}
		}
	}
}

static int byTime(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: tcpfloor RANK ADDRESS [N [ITERS [BUF [SPIN [CONNS]]]]]\n");
		return 2;
	}
	int rank = atoi(argv[1]);
	size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 669707;
	int iters = argc > 4 ? atoi(argv[4]) : 200, buf = argc > 5 ? atoi(argv[5]) : 4 << 20, spin = argc > 6 && atoi(argv[6]),
	    conns = argc > 7 ? atoi(argv[7]) : 1;
	if (n < 2 || iters < 1 || conns < 1 || conns > maxConns) {
		fprintf(stderr, "tcpfloor: N must be at least 2, ITERS at least 1, CONNS from 1 to %d\n", maxConns);
		return 2;
	}
	/* Process 0 owns [0, h), process 1 [h, n). */
	size_t h = n / 2, mine = rank ? h : 0, mineN = rank ? n - h : h, theirs = rank ? 0 : h, theirsN = rank ? h : n - h;
	float *b = malloc(n * sizeof *b), *in = malloc((n - h) * sizeof *in);
	double *t = malloc(iters * sizeof *t);
	if (!b || !in || !t) die("malloc");
	int s[maxConns];
	connect_all(rank, argv[2], buf, conns, s);
	for (int i = -warm; i < iters; i++) {
		if (i <= -warm + 1)
			for (size_t j = 0; j < n; j++) b[j] = (float)(j % 1000) * (rank + 1); /* sums: 3 × (j % 1000) */
		double t0 = now();
		/* Reduce-scatter: their half out, the other's copy of mine in and added. */
		exchange(s, conns, b + theirs, theirsN, in, mineN, b + mine, spin);
		/* All-gather: my summed half out, their summed half in. */
		exchange(s, conns, b + mine, mineN, b + theirs, theirsN, NULL, spin);
		if (i >= 0) t[i] = now() - t0;
		if (i == -warm)
			for (size_t j = 0; j < n; j++)
				if (b[j] != 3 * (float)(j % 1000)) {
					fprintf(stderr, "tcpfloor: process %d: sum %zu is %g, expected %g\n", rank, j, b[j], 3.0 * (j % 1000));
					return 1;
				}
	}
	double total = 0;
	for (int i = 0; i < iters; i++) total += t[i];
	qsort(t, iters, sizeof *t, byTime);
	int sb = 0, rb = 0;
	socklen_t l = sizeof sb;
	getsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &sb, &l);
	getsockopt(s[0], SOL_SOCKET, SO_RCVBUF, &rb, &l);
	if (rank == 0)
		printf("tcpfloor n=%zu floats buf=%d (kernel: snd %d rcv %d) %s, %d connection(s): %.3f ms per all-reduce (mean of %d), median %.3f ms (p10 %.3f p90 %.3f max %.3f)\n",
		       n, buf, sb, rb, spin ? "spin" : "poll", conns, total / iters * 1e3, iters, t[iters / 2] * 1e3, t[iters / 10] * 1e3, t[iters * 9 / 10] * 1e3,
		       t[iters - 1] * 1e3);
	for (int c = 0; c < conns; c++) close(s[c]);
	return 0;
}
