//go:build cudaemu

// The emulator's runtime: device memory, the kernel registry, fibers and
// their barriers, and launches. See emu.h.
#include "emu.h"
#include "emu_api.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// Fibers switch by a few instructions of assembly on x86-64, and through
// ucontext elsewhere (or with -DEMU_UCONTEXT, to test that path).
#if !defined(__x86_64__) || defined(EMU_UCONTEXT)
#define EMU_UCONTEXT_SWITCH
#include <ucontext.h>
#endif

namespace emu {

// ---- Switching between fibers ----

constexpr size_t stack_bytes = 64 << 10;

#if !defined(EMU_UCONTEXT_SWITCH)
// A fiber's context is its saved stack pointer; emu_switch saves the
// callee-saved registers on the current stack, stores the stack pointer in
// *save and resumes the context whose stack pointer is to.
extern "C" void emu_switch(void** save, void* to);
asm(R"(
    .text
    .globl emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
)");

struct context {
    void* sp = nullptr;
};

// start prepares ctx to run entry on the stack [base, base+bytes): six zero
// registers for emu_switch to pop, then entry as the return address, with
// the stack aligned as a call would leave it.
void start(context& ctx, char* base, size_t bytes, void (*entry)()) {
    auto top = reinterpret_cast<uintptr_t>(base + bytes) & ~uintptr_t(15);
    auto* slots = reinterpret_cast<void**>(top - 64);
    for (int i = 0; i < 6; i++) {
        slots[i] = nullptr;
    }
    slots[6] = reinterpret_cast<void*>(entry);
    slots[7] = nullptr;
    ctx.sp = slots;
}

void swap(context& from, context& to) { emu_switch(&from.sp, to.sp); }
#else
struct context {
    ucontext_t uc;
};

void start(context& ctx, char* base, size_t bytes, void (*entry)()) {
    getcontext(&ctx.uc);
    ctx.uc.uc_stack.ss_sp = base;
    ctx.uc.uc_stack.ss_size = bytes;
    ctx.uc.uc_link = nullptr;
    makecontext(&ctx.uc, entry, 0);
}

void swap(context& from, context& to) { swapcontext(&from.uc, &to.uc); }
#endif

// ---- Blocks of fibers ----

enum state { runnable, at_block_barrier, at_warp_barrier, finished };

struct fiber {
    context ctx;
    dim3 tid;
    int linear;
    state st;
    int cluster_syncs; // the cluster barriers it has passed
};

// cluster is one thread-block cluster of a launch: its blocks' barrier
// (blocks on OS threads of their own meet there) and their shared memories,
// by rank, while they run.
struct cluster {
    std::mutex mu;
    std::condition_variable cv;
    unsigned size = 1, arrived = 0, exited = 0;
    uint64_t generation = 0;
    std::vector<unsigned char*> shared;
    std::string failed;
};

struct warp {
    int live, arrived, lanes;
    uint64_t slot[32];
};

// block runs the threads of one block at a time as fibers on one OS thread.
struct block {
    const kernel_entry* k;
    const uint64_t* args;
    dim3 bid, bdim, gdim;
    std::vector<fiber> fibers;
    std::vector<warp> warps;
    std::unique_ptr<char[]> stacks;
    size_t stack_fibers = 0;
    std::vector<unsigned char> shared; // the launch's dynamic shared memory
    context scheduler;
    int current = 0, live = 0, arrived = 0;
    cluster* cl = nullptr; // its cluster; null where the launch has none
    unsigned rank = 0;     // its rank in cl
    int cluster_syncs = 0; // the cluster barriers it has passed
    std::string error;

    fiber& self() { return fibers[current]; }
    void fail(const std::string& what) {
        if (error.empty()) {
            error = what;
        }
    }
    void run(dim3 id, bool reverse);
    void wait(int warp_index);
    void release_if_complete(int warp_index);
};

thread_local block* current_block;

void fiber_main() {
    block& b = *current_block;
    b.k->call(b.k->fn, b.args);
    fiber& me = b.self();
    me.st = finished;
    b.live--;
    b.warps[me.linear / 32].live--;
    // Threads that have left no longer hold back the barriers of the others.
    b.release_if_complete(-1);
    b.release_if_complete(me.linear / 32);
    swap(me.ctx, b.scheduler);
}

// release_if_complete lets the threads waiting at the block's barrier
// (warp_index < 0) or at a warp's go on once every live thread has arrived.
void block::release_if_complete(int warp_index) {
    int& at = warp_index < 0 ? arrived : warps[warp_index].arrived;
    int of = warp_index < 0 ? live : warps[warp_index].live;
    if (of == 0 || at < of) {
        return;
    }
    at = 0;
    state waiting = warp_index < 0 ? at_block_barrier : at_warp_barrier;
    for (auto& f : fibers) {
        if (f.st == waiting && (warp_index < 0 || f.linear / 32 == warp_index)) {
            f.st = runnable;
        }
    }
}

// wait makes the calling thread arrive at the block's barrier (warp_index <
// 0) or its warp's, and returns when every live thread there has arrived.
void block::wait(int warp_index) {
    fiber& me = self();
    me.st = warp_index < 0 ? at_block_barrier : at_warp_barrier;
    ++(warp_index < 0 ? arrived : warps[warp_index].arrived);
    release_if_complete(warp_index);
    if (me.st != runnable) {
        swap(me.ctx, scheduler);
    }
}

// run runs the block's threads until all have finished, switching at each
// barrier; the scheduler visits them in index order, or in reverse, so
// that a kernel that relies on one order without a barrier between them
// goes wrong in one of the two.
void block::run(dim3 id, bool reverse) {
    bid = id;
    int n = static_cast<int>(bdim.x * bdim.y * bdim.z);
    fibers.resize(n);
    warps.assign((n + 31) / 32, warp{});
    if (stack_fibers < static_cast<size_t>(n)) {
        stacks.reset(new char[static_cast<size_t>(n) * stack_bytes]);
        stack_fibers = n;
    }
    for (int i = 0; i < n; i++) {
        fiber& f = fibers[i];
        f.linear = i;
        f.tid = {i % bdim.x, (i / bdim.x) % bdim.y, i / (bdim.x * bdim.y)};
        f.st = runnable;
        f.cluster_syncs = 0;
        start(f.ctx, stacks.get() + static_cast<size_t>(i) * stack_bytes, stack_bytes, fiber_main);
        warps[i / 32].live++;
        warps[i / 32].lanes++;
    }
    live = n;
    arrived = 0;
    cluster_syncs = 0;
    // Shared memory starts undefined: NaNs (and -1s), as fresh device memory.
    std::fill(shared.begin(), shared.end(), 0xff);
    current_block = this;
    while (live > 0) {
        bool ran = false;
        for (int k = 0; k < n; k++) {
            int i = reverse ? n - 1 - k : k;
            if (fibers[i].st == runnable) {
                current = i;
                swap(scheduler, fibers[i].ctx);
                ran = true;
            }
        }
        if (!ran) {
            fail("block (" + std::to_string(bid.x) + "," + std::to_string(bid.y) +
                 ") deadlocks: some threads wait at a barrier that others never reach");
            return;
        }
    }
}

} // namespace emu

// ---- What the kernels call ----

namespace emu {

const dim3& thread_idx() { return current_block->self().tid; }
const dim3& block_idx() { return current_block->bid; }
const dim3& block_dim() { return current_block->bdim; }
const dim3& grid_dim() { return current_block->gdim; }
int lane() { return current_block->self().linear % 32; }
void yield() { std::this_thread::yield(); }

long long now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void sync_block() { current_block->wait(-1); }

void* dynamic_shared() { return current_block->shared.data(); }

// cluster_wait is the meeting of the block's cluster at its barrier, made
// by the first of the block's threads to pass the block's barrier while the
// others wait there: it returns once every block of the cluster has
// arrived, or the cluster failed (a block left while others waited).
void cluster_wait(block& b) {
    cluster& c = *b.cl;
    std::unique_lock<std::mutex> lock(c.mu);
    if (c.failed.empty() && c.exited > 0) {
        c.failed = "a block of cluster reaches a cluster barrier after another block of it exited";
    }
    if (!c.failed.empty()) {
        b.fail(c.failed);
        return;
    }
    uint64_t gen = c.generation;
    if (++c.arrived == c.size) {
        c.arrived = 0;
        c.generation++;
        c.cv.notify_all();
        return;
    }
    if (!c.cv.wait_for(lock, std::chrono::seconds(60), [&] { return c.generation != gen || !c.failed.empty(); })) {
        c.failed = "a cluster barrier waited 60 s for the cluster's other blocks";
        c.cv.notify_all();
    }
    if (!c.failed.empty()) {
        b.fail(c.failed);
    }
}

// sync_cluster is cluster_group::sync: the block's barrier, then the
// cluster's (a block's barrier alone where the launch has no clusters).
void sync_cluster() {
    block& b = *current_block;
    b.wait(-1);
    fiber& me = b.self();
    if (b.cl != nullptr && me.cluster_syncs == b.cluster_syncs) {
        b.cluster_syncs++;
        cluster_wait(b);
    }
    me.cluster_syncs++;
}

unsigned cluster_rank() { return current_block->rank; }
unsigned cluster_blocks() { return current_block->cl == nullptr ? 1 : current_block->cl->size; }

// map_shared is cluster_group::map_shared_rank: p, an address in the
// block's dynamic shared memory, in the shared memory of the block of rank
// rank of its cluster. A GPU leaves undefined what the emulator reports: an
// address outside the block's dynamic shared memory, a rank outside the
// cluster, a block that has not started or has exited.
void* map_shared(const void* p, unsigned rank) {
    block& b = *current_block;
    auto* at = static_cast<const unsigned char*>(p);
    const unsigned char* base = b.shared.data();
    if (at < base || at >= base + b.shared.size()) {
        b.fail("map_shared_rank of an address outside the block's dynamic shared memory");
        return const_cast<void*>(p);
    }
    if (rank >= cluster_blocks()) {
        b.fail("map_shared_rank to rank " + std::to_string(rank) + " of a cluster of " +
               std::to_string(cluster_blocks()) + " blocks");
        return const_cast<void*>(p);
    }
    if (b.cl == nullptr) {
        return const_cast<void*>(p);
    }
    std::lock_guard<std::mutex> lock(b.cl->mu);
    unsigned char* other = b.cl->shared[rank];
    if (other == nullptr) {
        b.fail("map_shared_rank to block " + std::to_string(rank) +
               " of the cluster, which has not started or has exited (sync the cluster first)");
        return const_cast<void*>(p);
    }
    return other + (at - base);
}

// The counts of EmuCounts: launches from the host, kernels run, and grid
// barriers (as block 0 of each grid reaches them).
std::atomic<long long> launches{0}, kernels_run{0}, grid_barriers{0};

void note_grid_barrier() {
    const dim3& b = current_block->bid;
    if (b.x == 0 && b.y == 0 && b.z == 0) {
        grid_barriers++;
    }
}

// sync_warp waits for the live lanes of the caller's warp.
void sync_warp() {
    block& b = *current_block;
    b.wait(b.self().linear / 32);
}

uint64_t exchange(unsigned mask, uint64_t bits, int src_lane) {
    block& b = *current_block;
    int me = b.self().linear;
    warp& w = b.warps[me / 32];
    unsigned lanes = w.lanes == 32 ? 0xffffffffu : (1u << w.lanes) - 1;
    if (mask != lanes || w.live != w.lanes) {
        b.fail("a shuffle in warp " + std::to_string(me / 32) + " names lanes that do not take part (mask " +
               std::to_string(mask) + ", " + std::to_string(w.live) + " of " + std::to_string(w.lanes) +
               " lanes live)");
    }
    w.slot[me % 32] = bits;
    sync_warp();
    uint64_t got = src_lane >= 0 && src_lane < w.lanes ? w.slot[src_lane] : bits;
    sync_warp();
    return got;
}

// ---- The registry and device memory ----

std::map<std::string, kernel_entry>& registry() {
    static std::map<std::string, kernel_entry> r;
    return r;
}

void add_kernel(const kernel_entry& k) { registry()[k.name] = k; }

// layouts are the size, then the field offsets, of each struct shared with Go.
std::map<std::string, std::vector<size_t>>& layouts() {
    static std::map<std::string, std::vector<size_t>> l;
    return l;
}

bool add_layout(const char* name, size_t size, std::initializer_list<size_t> offsets) {
    std::vector<size_t>& l = layouts()[name];
    l.assign(1, size);
    l.insert(l.end(), offsets);
    return true;
}

std::mutex memory_mu;
std::map<uintptr_t, size_t> allocations; // base -> bytes

// Device memory is bounded like a small GPU's, so that an absurd request fails.
constexpr long long memory_limit = 8LL << 30;
long long memory_used = 0;

// inside reports whether [p, p+bytes) lies within one allocation.
bool inside(uintptr_t p, size_t bytes) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) {
        return false;
    }
    --it;
    return p >= it->first && p + bytes <= it->first + it->second;
}

// ---- Launches ----

// The limits of every GPU from Volta to Hopper (compute capability 7.0 to
// 9.0) on a launch: its shape, the registers of a block (a multiprocessor
// has 65,536, in four partitions, given to each warp in units of 256), its
// threads (a multiprocessor holds 2,048) and its shared memory (48 KiB,
// static and dynamic, unless the kernel opts in to more, up to the device's
// opt-in limit, with emu_opt_in_shared).
constexpr unsigned max_grid_x = 0x7fffffffu, max_grid_yz = 65535, max_block_xy = 1024, max_block_z = 64,
                   max_threads = 1024, max_registers = 65536, register_partitions = 4, register_unit = 256,
                   threads_per_sm = 2048, max_shared = 48 << 10, shared_unit = 128;

// device_props is the device the emulator stands for (emu_set_device): by
// default four multiprocessors of one block each, with Volta's 96 KiB of
// shared memory, the least of the GPUs from Volta to Hopper.
struct device_props {
    int multiprocessors = 4, blocks_per_sm = 1, shared_per_sm = 96 << 10, shared_reserved = 0,
        shared_optin = 96 << 10, major = 7;
};
std::mutex device_mu;
device_props device;

device_props current_device() {
    std::lock_guard<std::mutex> lock(device_mu);
    return device;
}

std::string dims(dim3 d) { return "(" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " + std::to_string(d.z) + ")"; }

// check_shape returns why a GPU would refuse a launch of grid blocks of
// block threads, or "" if it would not.
std::string check_shape(dim3 grid, dim3 block) {
    std::string why;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || block.x == 0 || block.y == 0 || block.z == 0) {
        why = "a size is zero";
    } else if (grid.x > max_grid_x) {
        why = "a grid's x size is at most " + std::to_string(max_grid_x);
    } else if (grid.y > max_grid_yz || grid.z > max_grid_yz) {
        why = "a grid's y and z sizes are at most " + std::to_string(max_grid_yz);
    } else if (block.x > max_block_xy || block.y > max_block_xy || block.z > max_block_z) {
        why = "a block's x and y sizes are at most " + std::to_string(max_block_xy) + " and its z size " +
              std::to_string(max_block_z);
    } else if (static_cast<unsigned long long>(block.x) * block.y * block.z > max_threads) {
        why = "a block has at most " + std::to_string(max_threads) + " threads";
    }
    if (why.empty()) {
        return "";
    }
    return "CUDA_ERROR_INVALID_VALUE: grid " + dims(grid) + " of blocks " + dims(block) + ": " + why;
}

// resources are a kernel's registers per thread and static shared memory
// per block, as ptxas reports them (resources.h, written by gen.sh).
struct resources {
    int registers, shared;
};

const std::map<std::string, resources>& resource_table() {
    static const std::map<std::string, resources> table = {
#define EMU_RESOURCES(name, registers, shared) {#name, {registers, shared}},
#include "resources.h"
#undef EMU_RESOURCES
    };
    return table;
}

// kernel_resources returns a kernel's resources; a kernel that resources.h
// does not list yet (its source is newer than the fatbins) has none.
resources kernel_resources(const std::string& name) {
    auto it = resource_table().find(name);
    return it == resource_table().end() ? resources{0, 0} : it->second;
}

// opted_in is the dynamic shared memory each kernel opted in to, by name;
// non_portable, the kernels that allow clusters of more than 8 blocks.
std::mutex opted_in_mu;
std::map<std::string, unsigned> opted_in;
std::map<std::string, bool> non_portable;

// Hopper's clusters: at most 8 blocks (portable), 16 where the kernel allows
// non-portable sizes.
constexpr unsigned portable_cluster = 8, max_cluster = 16;

// check_cluster returns why Hopper would refuse a launch of kernel name of
// grid blocks in clusters of cluster blocks, of which the device dev holds
// resident at once, or "".
std::string check_cluster(const std::string& name, const device_props& dev, dim3 grid, dim3 cluster,
                          uint64_t resident) {
    if (dev.major < 9) {
        return "CUDA_ERROR_NOT_SUPPORTED: a cluster launch on a device of compute capability " +
               std::to_string(dev.major) + ".x; thread-block clusters need 9.0 (Hopper) or later";
    }
    if (cluster.x == 0 || cluster.y == 0 || cluster.z == 0) {
        return "CUDA_ERROR_INVALID_VALUE: a cluster of size " + dims(cluster);
    }
    if (grid.x % cluster.x != 0 || grid.y % cluster.y != 0 || grid.z % cluster.z != 0) {
        return "CUDA_ERROR_INVALID_CLUSTER_SIZE: grid " + dims(grid) + " is not a whole number of clusters " +
               dims(cluster);
    }
    const uint64_t size = uint64_t(cluster.x) * cluster.y * cluster.z;
    bool allowed;
    {
        std::lock_guard<std::mutex> lock(opted_in_mu);
        allowed = non_portable.count(name) > 0;
    }
    if (size > max_cluster || (size > portable_cluster && !allowed)) {
        return "CUDA_ERROR_INVALID_CLUSTER_SIZE: a cluster of " + std::to_string(size) + " blocks; at most " +
               std::to_string(portable_cluster) + ", or " + std::to_string(max_cluster) +
               " once the kernel allows non-portable cluster sizes";
    }
    if (size > resident || size > EMU_MAX_AT_ONCE) {
        return "CUDA_ERROR_INVALID_CLUSTER_SIZE: a cluster of " + std::to_string(size) + " blocks, and " +
               std::to_string(std::min<uint64_t>(resident, EMU_MAX_AT_ONCE)) + " fit on the device at once";
    }
    return "";
}

// check_resources returns why a GPU would refuse to run a block of threads
// threads of kernel name with shared bytes of dynamic shared memory, or "":
// a block has 48 KiB of shared memory, static and dynamic, or, once the
// kernel opted in, the dynamic shared memory it opted in to.
std::string check_resources(const std::string& name, unsigned threads, unsigned shared) {
    resources r = kernel_resources(name);
    unsigned long long warps = (threads + 31) / 32;
    unsigned long long per_warp = (static_cast<unsigned long long>(r.registers) * 32 + register_unit - 1) /
                                  register_unit * register_unit;
    if (warps * per_warp > max_registers) {
        return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: a block of " + std::to_string(threads) + " threads of " +
               std::to_string(r.registers) + " registers needs " + std::to_string(warps * per_warp) +
               " registers, a multiprocessor has " + std::to_string(max_registers);
    }
    unsigned dynamic = max_shared > static_cast<unsigned>(r.shared) ? max_shared - r.shared : 0;
    {
        std::lock_guard<std::mutex> lock(opted_in_mu);
        auto it = opted_in.find(name);
        if (it != opted_in.end()) {
            dynamic = it->second;
        }
    }
    if (shared > dynamic) {
        return "CUDA_ERROR_INVALID_VALUE: " + std::to_string(r.shared) + " bytes of static and " +
               std::to_string(shared) + " of dynamic shared memory per block, and the kernel may have " +
               std::to_string(dynamic) + " of dynamic shared memory";
    }
    return "";
}

// occupancy returns how many blocks of threads threads of kernel name with
// shared bytes of dynamic shared memory a multiprocessor of dev holds at
// once, as the CUDA occupancy calculator counts them: the least of its
// blocks, its threads, its registers (whole warps in each partition) and
// its shared memory (rounded up to 128 bytes a block, with what the driver
// reserves a block).
int occupancy(const device_props& dev, const std::string& name, unsigned threads, unsigned shared) {
    resources r = kernel_resources(name);
    unsigned warps = (threads + 31) / 32;
    unsigned most = std::min<unsigned>(dev.blocks_per_sm, threads_per_sm / (warps * 32));
    if (r.registers > 0) {
        unsigned per_warp = (static_cast<unsigned>(r.registers) * 32 + register_unit - 1) / register_unit * register_unit;
        unsigned fit = max_registers / register_partitions / per_warp * register_partitions;
        most = std::min(most, fit / warps);
    }
    unsigned bytes = static_cast<unsigned>(r.shared) + shared + static_cast<unsigned>(dev.shared_reserved);
    bytes = (bytes + shared_unit - 1) / shared_unit * shared_unit;
    if (bytes > 0) {
        most = std::min(most, static_cast<unsigned>(dev.shared_per_sm) / bytes);
    }
    return static_cast<int>(most);
}

// job is one launch: its blocks are handed out in order to the workers.
// Blocks run their threads in reverse order where the launch's sequence
// number plus the block's index is odd.
struct job {
    uint64_t seq;
    const kernel_entry* k;
    const uint64_t* args;
    dim3 gdim, bdim;
    unsigned shared;
    uint64_t total;
    std::atomic<uint64_t> next{0};
    std::mutex mu;
    std::string error;
    dim3 cdim{1, 1, 1};                              // its clusters' size
    std::vector<std::unique_ptr<cluster>> clusters; // none without clusters
};

// block_of returns the index of the i-th block that a launch runs, and its
// cluster and rank in it: blocks are handed out cluster by cluster, so that
// a cluster's blocks run at once.
dim3 block_of(const job& j, uint64_t i, cluster** cl, unsigned* rank) {
    const dim3 g = j.gdim;
    if (j.clusters.empty()) {
        *cl = nullptr;
        *rank = 0;
        return {static_cast<unsigned>(i % g.x), static_cast<unsigned>(i / g.x % g.y),
                static_cast<unsigned>(i / (uint64_t(g.x) * g.y))};
    }
    const dim3 c = j.cdim;
    const uint64_t size = uint64_t(c.x) * c.y * c.z, at = i / size;
    const unsigned r = static_cast<unsigned>(i % size), nx = g.x / c.x, ny = g.y / c.y;
    const unsigned cx = static_cast<unsigned>(at % nx), cy = static_cast<unsigned>(at / nx % ny),
                   cz = static_cast<unsigned>(at / (uint64_t(nx) * ny));
    *cl = j.clusters[at].get();
    *rank = r;
    return {cx * c.x + r % c.x, cy * c.y + r / c.x % c.y, cz * c.z + r / (c.x * c.y)};
}

// pool runs the blocks of a launch on worker threads, each running blocks
// on its own block: as many at once as the launch asks for, so that up to
// that many blocks of it are resident at once. Workers are started as
// launches need them and kept. One launch runs at a time.
class pool {
  public:
    // run runs every block of j, at most at_once at a time, and returns the
    // first error.
    std::string run(job& j, int at_once) {
        std::lock_guard<std::mutex> one(launch_mu_);
        std::unique_lock<std::mutex> lock(mu_);
        while (static_cast<int>(workers_.size()) < at_once) {
            workers_.push_back(std::make_unique<worker>());
            std::thread(&pool::work, this, workers_.back().get()).detach();
        }
        job_ = &j;
        busy_ = at_once;
        j.seq = ++generation_;
        for (int i = 0; i < at_once; i++) {
            workers_[i]->go = generation_;
            workers_[i]->wake.notify_one();
        }
        done_.wait(lock, [this] { return busy_ == 0; });
        job_ = nullptr;
        return j.error;
    }

  private:
    // worker is a worker thread's signal: it runs the launch whose
    // generation go names.
    struct worker {
        std::condition_variable wake;
        uint64_t go = 0;
    };

    void work(worker* w) {
        block b;
        uint64_t seen = 0;
        for (;;) {
            job* j;
            {
                std::unique_lock<std::mutex> lock(mu_);
                w->wake.wait(lock, [&] { return w->go != seen; });
                seen = w->go;
                j = job_;
            }
            b.k = j->k;
            b.args = j->args;
            b.bdim = j->bdim;
            b.gdim = j->gdim;
            b.shared.resize(j->shared);
            for (uint64_t i; (i = j->next++) < j->total;) {
                b.error.clear();
                dim3 id = block_of(*j, i, &b.cl, &b.rank);
                if (b.cl != nullptr) {
                    std::lock_guard<std::mutex> lock(b.cl->mu);
                    b.cl->shared[b.rank] = b.shared.data();
                }
                b.run(id, (j->seq + i) % 2 == 1);
                if (b.cl != nullptr) {
                    std::lock_guard<std::mutex> lock(b.cl->mu);
                    b.cl->shared[b.rank] = nullptr;
                    b.cl->exited++;
                    if (b.cl->arrived > 0 && b.cl->failed.empty()) {
                        b.cl->failed = "a block of a cluster exited while others wait at the cluster's barrier";
                        b.cl->cv.notify_all();
                        b.fail(b.cl->failed);
                    }
                }
                if (!b.error.empty()) {
                    std::lock_guard<std::mutex> lock(j->mu);
                    if (j->error.empty()) {
                        j->error = b.error;
                    }
                    j->next = j->total;
                }
            }
            std::lock_guard<std::mutex> lock(mu_);
            if (--busy_ == 0) {
                done_.notify_one();
            }
        }
    }

    std::mutex launch_mu_, mu_;
    std::condition_variable done_;
    std::vector<std::unique_ptr<worker>> workers_;
    job* job_ = nullptr;
    uint64_t generation_ = 0;
    int busy_ = 0;
};

pool& workers() {
    static pool p;
    return p;
}

} // namespace emu

// ---- Graphs ----

namespace emu {

// node is a launch as a graph records it.
struct node {
    const kernel_entry* k;
    std::string name;
    dim3 gdim, bdim;
    unsigned shared;
    std::vector<uint64_t> args;
    int at_once; // how many of its blocks run at once
    dim3 cdim;   // its clusters' size: (1, 1, 1) without clusters
    bool clustered;
};

// While capturing, launches are recorded into captured rather than run;
// emu_end_capture makes them a graph.
std::mutex graph_mu;
bool capturing = false;
std::vector<node> captured;
std::map<int, std::vector<node>> graphs;
int next_graph = 1;

// check_pointers returns why a pointer argument of k lies outside device memory, or "".
// A null pointer passes, as on a GPU: it is how a kernel is told that an
// optional argument (output_grad's and sgd_steps' weights) is absent.
std::string check_pointers(const kernel_entry& k, const uint64_t* args) {
    std::lock_guard<std::mutex> lock(memory_mu);
    for (int i = 0; i < k.nargs; i++) {
        if ((k.pointer_args >> i & 1) && args[i] != 0 && !inside(static_cast<uintptr_t>(args[i]), 1)) {
            return "CUDA_ERROR_ILLEGAL_ADDRESS: argument " + std::to_string(i + 1) + " points outside device memory";
        }
    }
    return "";
}

// run_node runs one launch and returns its error.
std::string run_node(const node& n) {
    kernels_run++;
    job j{0, n.k, n.args.data(), n.gdim, n.bdim, n.shared, uint64_t(n.gdim.x) * n.gdim.y * n.gdim.z};
    if (n.clustered) {
        j.cdim = n.cdim;
        const unsigned size = n.cdim.x * n.cdim.y * n.cdim.z;
        for (uint64_t c = 0; c < j.total / size; c++) {
            j.clusters.push_back(std::make_unique<cluster>());
            j.clusters.back()->size = size;
            j.clusters.back()->shared.assign(size, nullptr);
        }
    }
    return workers().run(j, n.at_once);
}

} // namespace emu

// ---- The C interface ----

namespace {
int fail(char* err, int errlen, const std::string& what) {
    std::snprintf(err, errlen, "%s", what.c_str());
    return 1;
}

// lost is why the emulated context was lost ("": it was not): a kernel
// faulted, as one that reads outside device memory does on a GPU, and every
// call fails until emu_reset makes a new context.
std::mutex lost_mu;
std::string lost;

// fault reports a fault that loses the context, and returns 2.
int fault(char* err, int errlen, const std::string& what) {
    std::lock_guard<std::mutex> lock(lost_mu);
    lost = what;
    fail(err, errlen, what);
    return 2;
}

// dead returns 2, with the reason in err, once the context is lost, and 0 before.
int dead(char* err, int errlen) {
    std::lock_guard<std::mutex> lock(lost_mu);
    if (lost.empty()) {
        return 0;
    }
    fail(err, errlen, "CUDA_ERROR_ILLEGAL_ADDRESS: the context was lost to an earlier fault (" + lost + ")");
    return 2;
}
} // namespace

extern "C" void emu_reset(void) {
    {
        std::lock_guard<std::mutex> lock(emu::memory_mu);
        for (auto& a : emu::allocations) {
            std::free(reinterpret_cast<void*>(a.first));
        }
        emu::allocations.clear();
        emu::memory_used = 0;
    }
    {
        std::lock_guard<std::mutex> lock(emu::graph_mu);
        emu::graphs.clear();
        emu::captured.clear();
        emu::capturing = false;
    }
    {
        std::lock_guard<std::mutex> lock(emu::opted_in_mu);
        emu::opted_in.clear();
        emu::non_portable.clear();
    }
    std::lock_guard<std::mutex> lock(lost_mu);
    lost.clear();
}

extern "C" int emu_alloc(long long bytes, uintptr_t* p, char* err, int errlen) {
    if (int r = dead(err, errlen)) {
        return r;
    }
    std::lock_guard<std::mutex> lock(emu::memory_mu);
    if (bytes <= 0 || bytes > emu::memory_limit - emu::memory_used) {
        return fail(err, errlen, "out of memory: " + std::to_string(bytes) + " bytes asked, " +
                                     std::to_string(emu::memory_limit - emu::memory_used) + " free");
    }
    size_t rounded = (static_cast<size_t>(bytes) + 255) & ~size_t(255);
    void* mem = std::aligned_alloc(256, rounded);
    if (mem == nullptr) {
        return fail(err, errlen, "out of host memory for " + std::to_string(bytes) + " bytes");
    }
    // Fresh device memory is not zeroed: fill it with NaNs (and -1s) so that
    // reading what was never written shows.
    std::memset(mem, 0xff, rounded);
    *p = reinterpret_cast<uintptr_t>(mem);
    emu::allocations[*p] = static_cast<size_t>(bytes);
    emu::memory_used += static_cast<long long>(rounded);
    return 0;
}

extern "C" int emu_free(uintptr_t p, char* err, int errlen) {
    if (int r = dead(err, errlen)) {
        return r;
    }
    std::lock_guard<std::mutex> lock(emu::memory_mu);
    auto it = emu::allocations.find(p);
    if (it == emu::allocations.end()) {
        return fail(err, errlen, "freeing memory that was not allocated");
    }
    emu::memory_used -= static_cast<long long>((it->second + 255) & ~size_t(255));
    emu::allocations.erase(it);
    std::free(reinterpret_cast<void*>(p));
    return 0;
}

extern "C" int emu_memset(uintptr_t p, int value, long long bytes, char* err, int errlen) {
    if (int r = dead(err, errlen)) {
        return r;
    }
    std::lock_guard<std::mutex> lock(emu::memory_mu);
    if (!emu::inside(p, static_cast<size_t>(bytes))) {
        return fail(err, errlen, "memset outside device memory");
    }
    std::memset(reinterpret_cast<void*>(p), value, static_cast<size_t>(bytes));
    return 0;
}

// emu_copy copies between host memory and device memory; whichever of dst
// and src is device memory must lie within one allocation.
extern "C" int emu_copy(uintptr_t dst, uintptr_t src, long long bytes, char* err, int errlen) {
    if (int r = dead(err, errlen)) {
        return r;
    }
    std::lock_guard<std::mutex> lock(emu::memory_mu);
    if (!emu::inside(dst, static_cast<size_t>(bytes)) && !emu::inside(src, static_cast<size_t>(bytes))) {
        return fail(err, errlen, "a copy of " + std::to_string(bytes) + " bytes touches no device allocation whole");
    }
    std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), static_cast<size_t>(bytes));
    return 0;
}

extern "C" int emu_launch(const char* name, const unsigned* grid, const unsigned* block, unsigned shared,
                          int cooperative, const unsigned* cluster, const uint64_t* args, int nargs, char* err,
                          int errlen) {
    if (int r = dead(err, errlen)) {
        return r;
    }
    auto it = emu::registry().find(name);
    if (it == emu::registry().end()) {
        return fail(err, errlen, std::string("no kernel named ") + name);
    }
    const emu::kernel_entry& k = it->second;
    if (nargs != k.nargs) {
        return fail(err, errlen, std::to_string(nargs) + " arguments given, the kernel takes " + std::to_string(k.nargs));
    }
    std::string why = emu::check_pointers(k, args);
    if (!why.empty()) {
        return fault(err, errlen, why);
    }
    dim3 gdim{grid[0], grid[1], grid[2]}, bdim{block[0], block[1], block[2]};
    why = emu::check_shape(gdim, bdim);
    if (why.empty()) {
        why = emu::check_resources(name, bdim.x * bdim.y * bdim.z, shared);
    }
    uint64_t blocks = uint64_t(gdim.x) * gdim.y * gdim.z;
    emu::device_props dev = emu::current_device();
    uint64_t resident = uint64_t(dev.multiprocessors) * emu::occupancy(dev, name, bdim.x * bdim.y * bdim.z, shared);
    if (why.empty() && cooperative && blocks > resident) {
        why = "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE: a cooperative grid of " + std::to_string(blocks) +
              " blocks, and " + std::to_string(resident) + " fit on the device at once";
    }
    if (why.empty() && cooperative && blocks > EMU_MAX_AT_ONCE) {
        why = "a cooperative grid of " + std::to_string(blocks) + " blocks, and the emulator runs at most " +
              std::to_string(EMU_MAX_AT_ONCE) + " at once";
    }
    dim3 cdim{1, 1, 1};
    if (why.empty() && cluster != nullptr) {
        cdim = {cluster[0], cluster[1], cluster[2]};
        why = emu::check_cluster(name, dev, gdim, cdim, resident);
    }
    if (!why.empty()) {
        return fail(err, errlen, why);
    }
    int at_once = static_cast<int>(std::max<uint64_t>(1, std::min<uint64_t>({blocks, resident, EMU_MAX_AT_ONCE})));
    if (cluster != nullptr) {
        // Whole clusters at once: each of their blocks on an OS thread.
        const int size = static_cast<int>(cdim.x * cdim.y * cdim.z);
        at_once = std::max(size, at_once / size * size);
    }
    emu::node n{&k, name, gdim, bdim, shared, std::vector<uint64_t>(args, args + nargs), at_once, cdim,
                cluster != nullptr};
    {
        std::lock_guard<std::mutex> lock(emu::graph_mu);
        if (emu::capturing) {
            emu::captured.push_back(std::move(n));
            return 0;
        }
    }
    emu::launches++;
    std::string error = emu::run_node(n);
    if (!error.empty()) {
        return fail(err, errlen, error);
    }
    return 0;
}

extern "C" int emu_begin_capture(char* err, int errlen) {
    if (int r = dead(err, errlen)) {
        return r;
    }
    std::lock_guard<std::mutex> lock(emu::graph_mu);
    if (emu::capturing) {
        return fail(err, errlen, "CUDA_ERROR_ILLEGAL_STATE: the stream is capturing already");
    }
    emu::capturing = true;
    emu::captured.clear();
    return 0;
}

extern "C" int emu_end_capture(int* graph, char* err, int errlen) {
    std::lock_guard<std::mutex> lock(emu::graph_mu);
    if (!emu::capturing) {
        return fail(err, errlen, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED: the stream is not capturing");
    }
    emu::capturing = false;
    *graph = emu::next_graph++;
    emu::graphs[*graph] = std::move(emu::captured);
    emu::captured.clear();
    return 0;
}

extern "C" int emu_graph_launch(int graph, char* err, int errlen) {
    if (int r = dead(err, errlen)) {
        return r;
    }
    std::vector<emu::node> nodes;
    {
        std::lock_guard<std::mutex> lock(emu::graph_mu);
        auto it = emu::graphs.find(graph);
        if (it == emu::graphs.end()) {
            return fail(err, errlen, "CUDA_ERROR_INVALID_HANDLE: no graph " + std::to_string(graph));
        }
        nodes = it->second;
    }
    emu::launches++;
    for (const emu::node& n : nodes) {
        std::string why = emu::check_pointers(*n.k, n.args.data());
        if (!why.empty()) {
            return fault(err, errlen, n.name + ": " + why);
        }
        std::string error = emu::run_node(n);
        if (!error.empty()) {
            return fail(err, errlen, n.name + ": " + error);
        }
    }
    return 0;
}

extern "C" int emu_graph_destroy(int graph, char* err, int errlen) {
    std::lock_guard<std::mutex> lock(emu::graph_mu);
    if (emu::graphs.erase(graph) == 0) {
        return fail(err, errlen, "CUDA_ERROR_INVALID_HANDLE: no graph " + std::to_string(graph));
    }
    return 0;
}

extern "C" int emu_static_shared(const char* name, int* bytes, char* err, int errlen) {
    if (emu::registry().count(name) == 0) {
        return fail(err, errlen, std::string("CUDA_ERROR_INVALID_HANDLE: no kernel named ") + name);
    }
    *bytes = emu::kernel_resources(name).shared;
    return 0;
}

extern "C" int emu_opt_in_shared(const char* name, int bytes, char* err, int errlen) {
    if (emu::registry().count(name) == 0) {
        return fail(err, errlen, std::string("CUDA_ERROR_INVALID_HANDLE: no kernel named ") + name);
    }
    int most = emu::current_device().shared_optin - emu::kernel_resources(name).shared;
    if (bytes < 0 || bytes > most) {
        return fail(err, errlen, "CUDA_ERROR_INVALID_VALUE: " + std::to_string(bytes) +
                                     " bytes of dynamic shared memory asked for " + name + ", which may opt in to " +
                                     std::to_string(most));
    }
    std::lock_guard<std::mutex> lock(emu::opted_in_mu);
    emu::opted_in[name] = static_cast<unsigned>(bytes);
    return 0;
}

extern "C" void emu_set_device(int multiprocessors, int blocks_per_sm, int shared_per_sm, int shared_reserved,
                               int shared_optin, int major) {
    std::lock_guard<std::mutex> lock(emu::device_mu);
    emu::device = {multiprocessors, blocks_per_sm, shared_per_sm, shared_reserved, shared_optin, major};
}

extern "C" int emu_max_cluster_size(const char* name, int threads, int shared, int* size, char* err, int errlen) {
    if (emu::registry().count(name) == 0) {
        return fail(err, errlen, std::string("CUDA_ERROR_INVALID_HANDLE: no kernel named ") + name);
    }
    emu::device_props dev = emu::current_device();
    if (dev.major < 9) {
        return fail(err, errlen, "CUDA_ERROR_NOT_SUPPORTED: clusters on a device of compute capability " +
                                     std::to_string(dev.major) + ".x");
    }
    bool allowed;
    {
        std::lock_guard<std::mutex> lock(emu::opted_in_mu);
        allowed = emu::non_portable.count(name) > 0;
    }
    const int resident = dev.multiprocessors * emu::occupancy(dev, name, static_cast<unsigned>(threads),
                                                              static_cast<unsigned>(shared));
    *size = std::min({static_cast<int>(allowed ? emu::max_cluster : emu::portable_cluster), resident, EMU_MAX_AT_ONCE});
    return 0;
}

extern "C" int emu_allow_non_portable_cluster(const char* name, char* err, int errlen) {
    if (emu::registry().count(name) == 0) {
        return fail(err, errlen, std::string("CUDA_ERROR_INVALID_HANDLE: no kernel named ") + name);
    }
    if (emu::current_device().major < 9) {
        return fail(err, errlen, "CUDA_ERROR_INVALID_VALUE: non-portable cluster sizes on a device before 9.0");
    }
    std::lock_guard<std::mutex> lock(emu::opted_in_mu);
    emu::non_portable[name] = true;
    return 0;
}

extern "C" int emu_occupancy(const char* name, int threads, int shared, int* blocks, char* err, int errlen) {
    if (emu::registry().count(name) == 0) {
        return fail(err, errlen, std::string("CUDA_ERROR_INVALID_HANDLE: no kernel named ") + name);
    }
    if (threads <= 0 || threads > static_cast<int>(emu::max_threads) || shared < 0) {
        return fail(err, errlen, "CUDA_ERROR_INVALID_VALUE: blocks of " + std::to_string(threads) + " threads with " +
                                     std::to_string(shared) + " bytes of dynamic shared memory");
    }
    *blocks = emu::occupancy(emu::current_device(), name, static_cast<unsigned>(threads), static_cast<unsigned>(shared));
    return 0;
}

extern "C" int emu_kernel_count(void) { return static_cast<int>(emu::registry().size()); }

extern "C" const char* emu_kernel_name(int i) {
    auto it = emu::registry().begin();
    std::advance(it, i);
    return it->first.c_str();
}

extern "C" int emu_layout(const char* name, long long* out, int max) {
    auto it = emu::layouts().find(name);
    if (it == emu::layouts().end()) {
        return -1;
    }
    int n = static_cast<int>(it->second.size());
    for (int i = 0; i < n && i < max; i++) {
        out[i] = static_cast<long long>(it->second[i]);
    }
    return n;
}

extern "C" void emu_counts(long long* out) {
    out[0] = emu::launches;
    out[1] = emu::kernels_run;
    out[2] = emu::grid_barriers;
}
