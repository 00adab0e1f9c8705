// emu_registry.h: how the kernel emulator knows each kernel's parameters (see emu_runtime.cpp).
//
// build.sh writes, for every kernels/*.cu, a file that includes it and registers each extern "C" __global__
// function by name; KernelEntry::of reads the parameter types from the function's own C++ type, so the
// argument array is unpacked exactly as the kernel declares it (a struct by value is copied whole).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace bnemu {
struct KernelEntry {
    static constexpr int MAX_PARAMS = 32;
    int params = 0;
    bool pointer[MAX_PARAMS] = {};
    void (*invoke)(void** params) = nullptr;

    template <auto F>
    static KernelEntry of() {
        return make<F>(F);
    }

  private:
    template <auto F, class... A>
    static KernelEntry make(void (*)(A...)) {
        static_assert(sizeof...(A) <= MAX_PARAMS, "too many kernel parameters");
        KernelEntry e;
        e.params = sizeof...(A);
        int i = 0;
        ((e.pointer[i++] = std::is_pointer_v<A>), ...);
        e.invoke = &call<F, A...>;
        return e;
    }

    template <auto F, class... A>
    static void call(void** p) {
        callWith<F, A...>(p, std::index_sequence_for<A...>{});
    }

    template <auto F, class... A, std::size_t... I>
    static void callWith(void** p, std::index_sequence<I...>) {
        F(*static_cast<std::remove_cv_t<A>*>(p[I])...);
    }
};

struct Registrar {
    Registrar(const char* name, KernelEntry entry);
};
}  // namespace bnemu

#define BN_EMU_REGISTER(kernel) static bnemu::Registrar bn_emu_reg_##kernel(#kernel, bnemu::KernelEntry::of<kernel>())
