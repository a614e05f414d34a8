#ifndef OMNISONIC_CMALLOC_SHIM_H
#define OMNISONIC_CMALLOC_SHIM_H
// glibc's malloc tuning, which Swift's Glibc module does not import (<malloc.h>).
// Why the daemon tunes it: docs/decisions/0037-scan-footprint-levers.md.
#include <malloc.h>

/// Caps the number of malloc arenas (glibc's default is 8 per core). Returns 1 on success.
static inline int omni_malloc_set_arena_max(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}

/// Returns the free memory at the top and inside every arena to the kernel. Returns 1 when
/// some was released.
static inline int omni_malloc_trim(void) {
    return malloc_trim(0);
}
#endif
