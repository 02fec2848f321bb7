// Lock annotations in the manner of LevelDB's port/thread_annotations.h:
// which mutex guards a member, which a function needs held or must not
// hold. Clang's -Wthread-safety checks them; under GCC (the default build)
// they are documentation that sits on the declaration it is about, not in a
// comment that may drift from it.
#pragma once

#if defined(__clang__)
#define CLAIMMAP_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CLAIMMAP_THREAD_ANNOTATION(x)
#endif

// The member is read and written only with `mu` held.
#define GUARDED_BY(mu) CLAIMMAP_THREAD_ANNOTATION(guarded_by(mu))
// The function must be called with `mu` held.
#define REQUIRES(...) CLAIMMAP_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// The function takes `mu` itself: calling it with `mu` held deadlocks.
#define EXCLUDES(...) CLAIMMAP_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
