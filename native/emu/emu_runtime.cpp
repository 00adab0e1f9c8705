// emu_runtime.cpp: runs kernels of kernels/*.cu, compiled as host C++ (cuda_emu.h), the way a GPU runs a launch.
//
// - A launch names a registered kernel and passes its arguments as cuLaunchKernel does: an array of pointers,
//   element i pointing at the value of parameter i. The kernel's C++ type says how to read each value.
// - Blocks run one after another in one child task (below). Within a block every thread is a fiber
//   (ucontext) with its own stack; a fiber runs until it finishes or reaches __syncthreads() or a warp shuffle,
//   then the next one runs. Threads resume in index order, so a run is deterministic.
// - __syncthreads() releases when every live thread of the block has arrived; a warp shuffle when every live
//   lane of the warp has. A block where some threads wait and none can go on is reported as a deadlock.
// - Every launch runs twice from the same memory, threads and blocks in ascending and then in descending order
//   (the blocks its pointer arguments reach are saved before, compared after, and left as the first run left them);
//   a kernel whose results differ has a race (a read of another thread's write without a barrier, or two blocks
//   writing one element), which a GPU's scheduling would make a rare, irreproducible wrong answer.
// - Device memory comes from KernelEmulator.alloc: pages of its own per block, the block placed so that it ends
//   where a page that cannot be read or written begins; a freed block is unmapped. Every pointer argument must
//   be null or point into a live block, else the launch is refused before it runs.
// - Each launch runs in a child task that shares the address space (clone with CLONE_VM, so the kernel writes
//   device memory directly and nothing is copied) but has signal handlers of its own: a kernel that reads or
//   writes past the end of its block, or at any address that is not mapped, ends only the child, and the launch
//   fails saying where; a kernel that never finishes is killed after the time limit. The parent prepares
//   everything the child needs (fiber stacks, the order check's buffers), so the child allocates nothing while a
//   kernel runs; nothing of the JVM runs in the child.
//
// - The kernels are compiled with the undefined-behaviour sanitizer (build.sh): its report ends the child with a
//   non-zero status, and the launch fails.
//
// The JNI functions at the end are the Java side's entry (dev.bottleneck.backend.cuda.KernelEmulator, a test
// class). Built by native/emu/build.sh.
#include <jni.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda_emu.h"
#include "emu_registry.h"

namespace bnemu {
uint3 thread_idx;
uint3 block_idx;
dim3 block_dim;
dim3 grid_dim;

namespace {
constexpr size_t STACK_BYTES = 64 * 1024;
constexpr int MAX_THREADS = 1024;

enum class State { READY, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

struct Fiber {
    ucontext_t ctx;
    std::unique_ptr<char[]> stack;  // allocated by the parent before the first launch that needs it, then kept
    State state = State::DONE;
    int shuffles = 0;  // warp exchanges done so far: selects the exchange buffer
};

struct Block {
    ucontext_t scheduler;
    std::vector<Fiber> fibers = std::vector<Fiber>(MAX_THREADS);
    uint64_t exchange[2][MAX_THREADS];
    int threads = 0;
    int current = -1;
    bool reverse = false;  // run threads (and blocks) in descending index order
    const KernelEntry* kernel = nullptr;
    void** params = nullptr;
    std::string error;
};

Block* block_state = nullptr;  // the block being run (one launch at a time, under launch_lock)
std::mutex launch_lock;

void fiber_main() {
    Block& b = *block_state;
    b.kernel->invoke(b.params);
    b.fibers[b.current].state = State::DONE;
    // returning resumes uc_link: the scheduler
}

void yield_as(State s) {
    Block& b = *block_state;
    Fiber& f = b.fibers[b.current];
    f.state = s;
    swapcontext(&f.ctx, &b.scheduler);
}

/** Runs every fiber of the block to its end; false with b.error set on a deadlock. */
bool run_block(Block& b) {
    for (int t = 0; t < b.threads; t++) {
        Fiber& f = b.fibers[t];
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack.get();
        f.ctx.uc_stack.ss_size = STACK_BYTES;
        f.ctx.uc_link = &b.scheduler;
        makecontext(&f.ctx, fiber_main, 0);
        f.state = State::READY;
        f.shuffles = 0;
    }
    for (;;) {
        bool ran = false;
        for (int i = 0; i < b.threads; i++) {
            const int t = b.reverse ? b.threads - 1 - i : i;
            if (b.fibers[t].state != State::READY) continue;
            b.current = t;
            thread_idx = uint3{(unsigned) t, 0, 0};
            swapcontext(&b.scheduler, &b.fibers[t].ctx);
            ran = true;
        }
        if (ran) continue;
        // nobody is ready: release a barrier whose every live participant has arrived
        int live = 0, atBlock = 0;
        for (int t = 0; t < b.threads; t++) {
            State s = b.fibers[t].state;
            if (s != State::DONE) live++;
            if (s == State::AT_BLOCK_BARRIER) atBlock++;
        }
        if (live == 0) return true;
        bool released = false;
        if (atBlock == live) {
            for (int t = 0; t < b.threads; t++) {
                if (b.fibers[t].state == State::AT_BLOCK_BARRIER) b.fibers[t].state = State::READY;
            }
            released = true;
        }
        for (int w = 0; w * 32 < b.threads && !released; w++) {
            int lanesLive = 0, lanesWaiting = 0;
            for (int t = w * 32; t < w * 32 + 32 && t < b.threads; t++) {
                State s = b.fibers[t].state;
                if (s != State::DONE) lanesLive++;
                if (s == State::AT_WARP_BARRIER) lanesWaiting++;
            }
            if (lanesLive > 0 && lanesWaiting == lanesLive) {
                for (int t = w * 32; t < w * 32 + 32 && t < b.threads; t++) {
                    if (b.fibers[t].state == State::AT_WARP_BARRIER) b.fibers[t].state = State::READY;
                }
                released = true;
            }
        }
        if (!released) {
            b.error = "deadlock in block " + std::to_string(block_idx.x) + ": " + std::to_string(live) +
                      " threads wait at barriers that can never be released (__syncthreads in divergent code, or a "
                      "shuffle by part of a warp)";
            return false;
        }
    }
}
}  // namespace

void syncthreads() { yield_as(State::AT_BLOCK_BARRIER); }

uint64_t shfl_down_bits(uint64_t bits, int delta) {
    Block& b = *block_state;
    const int t = b.current;
    Fiber& f = b.fibers[t];
    uint64_t* slot = b.exchange[f.shuffles & 1];
    f.shuffles++;
    slot[t] = bits;
    yield_as(State::AT_WARP_BARRIER);
    const int lane = t & 31;
    const int from = t + delta;
    if (lane + delta >= 32 || from >= b.threads) return bits;
    return slot[from];
}

std::map<std::string, KernelEntry>& registry() {
    static std::map<std::string, KernelEntry> r;
    return r;
}

Registrar::Registrar(const char* name, KernelEntry entry) { registry()[name] = entry; }

namespace {
/** A block of emulated device memory: [start, end) usable, inside the mapping [base, base + span). */
struct Region {
    uintptr_t end;
    void* base;
    size_t span;
};
std::map<uintptr_t, Region> regions;  // by start address

bool registered(const void* p, std::string& why) {
    if (p == nullptr) return true;
    uintptr_t a = (uintptr_t) p;
    auto it = regions.upper_bound(a);
    if (it != regions.begin()) {
        --it;
        if (a >= it->first && a < it->second.end) return true;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long) a);
    why = buf;
    return false;
}

/** A block a launch can reach (through one of its pointer arguments): [start, start + bytes). */
struct Span {
    char* start;
    size_t bytes;
};

/** Copies the spans, one after another, into `to` (sized to their total). */
void save(const std::vector<Span>& spans, std::vector<char>& to) {
    size_t at = 0;
    for (const Span& sp : spans) {
        std::memcpy(to.data() + at, sp.start, sp.bytes);
        at += sp.bytes;
    }
}

void restore(const std::vector<Span>& spans, const std::vector<char>& from) {
    size_t at = 0;
    for (const Span& sp : spans) {
        std::memcpy(sp.start, from.data() + at, sp.bytes);
        at += sp.bytes;
    }
}

/** Empty when every span holds what `saved` holds, else where the first difference is. */
std::string compare(const std::vector<Span>& spans, const std::vector<char>& saved) {
    size_t at = 0;
    for (const Span& sp : spans) {
        if (std::memcmp(sp.start, saved.data() + at, sp.bytes) != 0) {
            for (size_t j = 0; j < sp.bytes; j++) {
                if (sp.start[j] != saved[at + j]) {
                    return "byte " + std::to_string(j) + " of a " + std::to_string(sp.bytes) + "-byte allocation";
                }
            }
        }
        at += sp.bytes;
    }
    return "";
}

/** Error text the child leaves for the parent (the address space is shared). */
constexpr size_t MESSAGE_BYTES = 4096;
char message[MESSAGE_BYTES];
long timeout_ms = 60000;
size_t page_bytes = 4096;  // the guard page's size (set by alloc; the fault handler cannot ask the system)

/** Appends text to the child's message from a signal handler (no allocation, no stdio). */
void put_raw(size_t& at, const char* text) {
    while (*text && at + 1 < MESSAGE_BYTES) message[at++] = *text++;
    message[at] = 0;
}

void put_number(size_t& at, unsigned long long v, int base) {
    char digits[32];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    char out[34];
    int o = 0;
    if (base == 16) { out[o++] = '0'; out[o++] = 'x'; }
    while (n) out[o++] = digits[--n];
    out[o] = 0;
    put_raw(at, out);
}

const char* faulting_kernel = "";

/** In the child: a fault names the address and, past the end of a block, by how much. */
void on_fault(int sig, siginfo_t* info, void*) {
    size_t at = 0;
    const uintptr_t a = (uintptr_t) info->si_addr;
    put_raw(at, faulting_kernel);
    put_raw(at, sig == SIGSEGV ? ": invalid memory access at " : ": bus error at ");
    put_number(at, a, 16);
    for (auto& r : regions) {   // the map is not changed in the child: reading it here is safe
        const uintptr_t guard = (r.second.end + 15) & ~(uintptr_t) 15;
        if (a >= r.second.end && a < guard + page_bytes) {
            put_raw(at, ", ");
            put_number(at, a - r.second.end, 10);
            put_raw(at, " bytes past the end of a ");
            put_number(at, r.second.end - r.first, 10);
            put_raw(at, "-byte allocation");
            break;
        }
    }
    put_raw(at, " (an index past the end of a tensor, or a wrong pointer)");
    _exit(3);
}

/** What the child needs, all allocated by the parent: the child itself allocates nothing while a kernel runs. */
struct Job {
    const std::string* name;
    const KernelEntry* kernel;
    int grid, block;
    void** params;
    std::vector<Span> spans;             // the blocks its pointer arguments point into
    std::vector<char>* before;           // sized to the spans' total
    std::vector<char>* forward;
    Block* block_state;
};

/** In the child: the launch, forward and with the order check. Empty, or what went wrong. */
std::string run_launch(Job& j) {
    Block* const b = j.block_state;
    auto run = [&](bool reverse) {
        std::string error;
        block_state = b;
        b->kernel = j.kernel;
        b->params = j.params;
        b->threads = j.block;
        b->reverse = reverse;
        block_dim = dim3{(unsigned) j.block, 1, 1};
        grid_dim = dim3{(unsigned) j.grid, 1, 1};
        for (int i = 0; i < j.grid && error.empty(); i++) {
            block_idx = uint3{(unsigned) (reverse ? j.grid - 1 - i : i), 0, 0};
            if (!run_block(*b)) error = *j.name + ": " + b->error;
        }
        block_state = nullptr;
        return error;
    };
    // The order check: the launch runs twice from the same memory, threads and blocks in ascending and then in
    // descending order. A correct kernel (every read of another thread's write behind a barrier, no two blocks
    // writing one element) leaves the same bytes both times.
    save(j.spans, *j.before);
    std::string error = run(false);
    if (!error.empty()) return error;
    save(j.spans, *j.forward);
    restore(j.spans, *j.before);
    error = run(true);
    if (!error.empty()) return error;
    std::string diff = compare(j.spans, *j.forward);
    restore(j.spans, *j.forward);
    if (!diff.empty()) {
        return *j.name + ": results depend on the order its threads run in (" + diff +
               "): a read of another thread's write without __syncthreads, or blocks writing the same element";
    }
    return "";
}

int child_main(void* arg) {
    Job& j = *static_cast<Job*>(arg);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    static char alt[64 * 1024];
    stack_t ss;
    ss.ss_sp = alt;
    ss.ss_size = sizeof alt;
    ss.ss_flags = 0;
    sigaltstack(&ss, nullptr);
    sigaction(SIGSEGV, &sa, nullptr);   // the child's own handler table (no CLONE_SIGHAND): the JVM's stays as it is
    sigaction(SIGBUS, &sa, nullptr);
    std::string error = run_launch(j);
    size_t at = 0;
    put_raw(at, error.c_str());
    return 0;
}

/**
 * Runs the launch in a child task that shares the address space (clone with CLONE_VM: nothing is copied, the
 * kernel writes device memory directly) but has its own signal handlers, so that a fault ends the child with a
 * message instead of the JVM, and a child that does not finish in time is killed.
 */
std::string in_child(const std::string& name, const KernelEntry& k, int grid, int block, void** params) {
    constexpr size_t CHILD_STACK = 8 << 20;
    static char* stack = nullptr;
    if (stack == nullptr) {
        void* m = mmap(nullptr, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return name + ": cannot map the emulator's stack";
        mprotect(m, 4096, PROT_NONE);   // an overflow faults instead of writing below the stack
        stack = (char*) m;
    }
    static Block* const b = new Block();
    for (int t = 0; t < block; t++) {
        if (!b->fibers[t].stack) b->fibers[t].stack.reset(new char[STACK_BYTES]);
    }
    b->error.reserve(512);
    // the order check saves what the kernel can reach: the blocks its pointer arguments point into (it has no
    // other way to memory; going past a block's end faults)
    static std::vector<char> before, forward;   // kept, so that launches do not fault in fresh pages
    Job j{&name, &k, grid, block, params, {}, &before, &forward, b};
    size_t total = 0;
    for (int i = 0; i < k.params; i++) {
        if (!k.pointer[i]) continue;
        const uintptr_t p = (uintptr_t) *static_cast<void* const*>(params[i]);
        if (p == 0) continue;
        auto it = regions.upper_bound(p);
        --it;   // the pointer check above found it
        bool seen = false;
        for (const Span& sp : j.spans) seen |= sp.start == (char*) it->first;
        if (seen) continue;
        j.spans.push_back(Span{(char*) it->first, (size_t) (it->second.end - it->first)});
        total += it->second.end - it->first;
    }
    if (before.size() < total) {
        before.resize(total);
        forward.resize(total);
    }
    message[0] = 0;
    faulting_kernel = name.c_str();
    const pid_t pid = clone(child_main, stack + CHILD_STACK, CLONE_VM | CLONE_FILES | SIGCHLD, &j);
    if (pid < 0) return name + ": clone failed (" + std::strerror(errno) + ")";
    int status = 0;
    const long step_us = 20;
    for (long waited_us = 0;; waited_us += step_us) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return name + ": waitpid failed (" + std::strerror(errno) + ")";
        if (waited_us / 1000 > timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return name + ": did not finish in " + std::to_string(timeout_ms) + " ms (a loop that never ends?); grid " +
                   std::to_string(grid) + ", block " + std::to_string(block);
        }
        struct timespec ts = {0, step_us * 1000};
        nanosleep(&ts, nullptr);
    }
    if (WIFSIGNALED(status)) return name + ": the emulated launch died with signal " + std::to_string(WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && message[0] == 0) {
        return name + ": undefined behaviour in the kernel (the sanitizer's report is on the test's standard error): "
               "an integer overflow, a shift past the width, an index past a fixed-size array or a float converted to "
               "an integer it does not fit";
    }
    return std::string(message);
}

std::string launch(const std::string& name, int grid, int block, void** params, int count) {
    auto it = registry().find(name);
    if (it == registry().end()) return "no kernel named " + name + " in the emulator";
    if (count != it->second.params) {
        return name + ": " + std::to_string(count) + " arguments passed, the kernel has " +
               std::to_string(it->second.params) + " parameters";
    }
    if (grid < 1 || block < 1 || block > MAX_THREADS) {
        return name + ": launch shape grid " + std::to_string(grid) + ", block " + std::to_string(block) +
               " (a block holds 1 to 1024 threads)";
    }
    const KernelEntry& k = it->second;
    for (int i = 0; i < k.params; i++) {
        if (!k.pointer[i]) continue;
        const void* p = *static_cast<void* const*>(params[i]);
        std::string where;
        if (!registered(p, where)) {
            return name + ": pointer argument " + std::to_string(i) + " = " + where +
                   " is not inside any allocation of the emulated device";
        }
    }
    return in_child(name, k, grid, block, params);
}
}  // namespace
}  // namespace bnemu

extern "C" {
JNIEXPORT jstring JNICALL Java_dev_bottleneck_backend_cuda_KernelEmulator_launch(JNIEnv* env, jclass, jstring kernel,
                                                                                  jint grid, jint block,
                                                                                  jlong params, jint count) {
    const char* n = env->GetStringUTFChars(kernel, nullptr);
    std::string name(n);
    env->ReleaseStringUTFChars(kernel, n);
    std::string error;
    {
        std::lock_guard<std::mutex> g(bnemu::launch_lock);
        error = bnemu::launch(name, grid, block, reinterpret_cast<void**>(params), count);
    }
    return error.empty() ? nullptr : env->NewStringUTF(error.c_str());
}

JNIEXPORT jstring JNICALL Java_dev_bottleneck_backend_cuda_KernelEmulator_kernels(JNIEnv* env, jclass) {
    std::string all;
    for (auto& e : bnemu::registry()) {
        if (!all.empty()) all += ",";
        all += e.first;
    }
    return env->NewStringUTF(all.c_str());
}

/** A block of `bytes` of emulated device memory, NaN-filled, ending where an inaccessible page begins; 0 if none. */
JNIEXPORT jlong JNICALL Java_dev_bottleneck_backend_cuda_KernelEmulator_alloc(JNIEnv*, jclass, jlong bytes) {
    std::lock_guard<std::mutex> g(bnemu::launch_lock);
    const size_t page = (size_t) sysconf(_SC_PAGESIZE);
    bnemu::page_bytes = page;
    const size_t body = ((size_t) (bytes < 16 ? 16 : bytes) + 15) & ~(size_t) 15;
    const size_t span = (body + page - 1) / page * page + page;
    void* base = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return 0;
    char* guard = (char*) base + span - page;
    if (mprotect(guard, page, PROT_NONE) != 0) {
        munmap(base, span);
        return 0;
    }
    char* p = guard - body;
    std::memset(p, 0xFF, body);
    bnemu::regions[(uintptr_t) p] = bnemu::Region{(uintptr_t) p + (uintptr_t) bytes, base, span};
    return (jlong) (uintptr_t) p;
}

JNIEXPORT jboolean JNICALL Java_dev_bottleneck_backend_cuda_KernelEmulator_free(JNIEnv*, jclass, jlong address) {
    std::lock_guard<std::mutex> g(bnemu::launch_lock);
    auto it = bnemu::regions.find((uintptr_t) address);
    if (it == bnemu::regions.end()) return JNI_FALSE;
    munmap(it->second.base, it->second.span);
    bnemu::regions.erase(it);
    return JNI_TRUE;
}

/** The time a launch may take before it is killed, in milliseconds. */
JNIEXPORT void JNICALL Java_dev_bottleneck_backend_cuda_KernelEmulator_timeout(JNIEnv*, jclass, jlong millis) {
    std::lock_guard<std::mutex> g(bnemu::launch_lock);
    bnemu::timeout_ms = (long) millis;
}
}
