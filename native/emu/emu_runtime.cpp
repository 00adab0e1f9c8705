// emu_runtime.cpp: runs kernels of kernels/*.cu, compiled as host C++ (cuda_emu.h), the way a GPU runs a launch.
//
// - A launch names a registered kernel and passes its arguments as cuLaunchKernel does: an array of pointers,
//   element i pointing at the value of parameter i. The kernel's C++ type says how to read each value.
// - Blocks run one after another on one dedicated host thread. Within a block every thread is a fiber
//   (ucontext) with its own stack; a fiber runs until it finishes or reaches __syncthreads() or a warp shuffle,
//   then the next one runs. Threads resume in index order, so a run is deterministic.
// - __syncthreads() releases when every live thread of the block has arrived; a warp shuffle when every live
//   lane of the warp has. A block where some threads wait and none can go on is reported as a deadlock.
// - Every launch runs twice from the same memory, threads and blocks in ascending and then in descending order;
//   a kernel whose results differ has a race (a read of another thread's write without a barrier, or two blocks
//   writing one element), which a GPU's scheduling would make a rare, irreproducible wrong answer.
// - Every pointer argument must be null or point into memory registered with bn_emu_register (the test's
//   device allocations), else the launch is refused before it runs: a wrong address from the Java side is an
//   error message, not a corrupted heap.
//
// The JNI functions at the end are the Java side's entry (dev.bottleneck.backend.cuda.KernelEmulator, a test
// class). Built by native/emu/build.sh.
#include <jni.h>
#include <ucontext.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
constexpr size_t STACK_BYTES = 256 * 1024;
constexpr int MAX_THREADS = 1024;

enum class State { READY, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

struct Fiber {
    ucontext_t ctx;
    std::unique_ptr<char[]> stack;  // allocated on first use, kept for later launches
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
        if (!f.stack) f.stack.reset(new char[STACK_BYTES]);
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
std::map<uintptr_t, uintptr_t> regions;  // start -> end of memory the kernels may be given

bool registered(const void* p, std::string& why) {
    if (p == nullptr || regions.empty()) return true;
    uintptr_t a = (uintptr_t) p;
    auto it = regions.upper_bound(a);
    if (it != regions.begin()) {
        --it;
        if (a >= it->first && a < it->second) return true;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long) a);
    why = buf;
    return false;
}

std::vector<std::vector<char>> snapshot() {
    std::vector<std::vector<char>> all;
    for (auto& r : regions) all.emplace_back((const char*) r.first, (const char*) r.second);
    return all;
}

void restore(const std::vector<std::vector<char>>& saved) {
    size_t i = 0;
    for (auto& r : regions) std::memcpy((void*) r.first, saved[i++].data(), r.second - r.first);
}

/** Empty when every region holds what `saved` holds, else where the first difference is. */
std::string compare(const std::vector<std::vector<char>>& saved) {
    size_t i = 0;
    for (auto& r : regions) {
        const char* now = (const char*) r.first;
        const std::vector<char>& then = saved[i++];
        for (size_t j = 0; j < then.size(); j++) {
            if (now[j] != then[j]) {
                return "byte " + std::to_string(j) + " of a " + std::to_string(then.size()) + "-byte allocation";
            }
        }
    }
    return "";
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
    static Block* const b = new Block();  // kept: its fiber stacks are reused by every launch
    auto run = [&](bool reverse) {
        std::string error;
        std::thread runner([&] {   // a thread of its own: fibers never run on a JVM thread's stack
            block_state = b;
            b->kernel = &k;
            b->params = params;
            b->threads = block;
            b->reverse = reverse;
            b->error.clear();
            block_dim = dim3{(unsigned) block, 1, 1};
            grid_dim = dim3{(unsigned) grid, 1, 1};
            for (int i = 0; i < grid && error.empty(); i++) {
                block_idx = uint3{(unsigned) (reverse ? grid - 1 - i : i), 0, 0};
                if (!run_block(*b)) error = name + ": " + b->error;
            }
            block_state = nullptr;
        });
        runner.join();
        return error;
    };
    // The order check: the launch runs twice from the same memory, threads and blocks in ascending and then in
    // descending order. A correct kernel (every read of another thread's write behind a barrier, no two blocks
    // writing one element) leaves the same bytes both times.
    std::vector<std::vector<char>> before = snapshot();
    std::string error = run(false);
    if (!error.empty()) return error;
    std::vector<std::vector<char>> forward = snapshot();
    restore(before);
    error = run(true);
    if (!error.empty()) return error;
    std::string diff = compare(forward);
    restore(forward);
    if (!diff.empty()) {
        return name + ": results depend on the order its threads run in (" + diff +
               "): a read of another thread's write without __syncthreads, or blocks writing the same element";
    }
    return "";
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

JNIEXPORT void JNICALL Java_dev_bottleneck_backend_cuda_KernelEmulator_register(JNIEnv*, jclass, jlong address,
                                                                                 jlong bytes, jboolean add) {
    std::lock_guard<std::mutex> g(bnemu::launch_lock);
    if (add) bnemu::regions[(uintptr_t) address] = (uintptr_t) (address + bytes);
    else bnemu::regions.erase((uintptr_t) address);
}
}
