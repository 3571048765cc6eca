// Zeroing by handing pages back: libvpx's VP8 encoder zeroes the buffers
// it allocates at its start, among them a token buffer sized for the worst
// case of a picture (22 MB at 1280x720), of which a real-time frame fills
// a few hundred kilobytes. Zeroing touches every page, so all of it stays
// resident for the whole call. While pc_zero_by_release is set on a thread
// (only around the encoder's opening), a large zeroing memset made on that
// thread gives the whole pages it covers back to the kernel instead: a
// private anonymous page given back reads as zeros again, and only the
// pages the encoder later writes come back.
//
// This works by defining memset in the program, which libvpx's calls
// resolve to; every other call goes straight on to the C library's.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zeropages.h"

typedef void *(*memset_fn)(void *, int, size_t);

static memset_fn libc_memset;
// Initial-exec: the program's own thread-local variable needs no call to
// the dynamic loader (__tls_get_addr) to be read.
static __thread int zero_by_release __attribute__((tls_model("initial-exec")));

void pc_zero_by_release(int on) { zero_by_release = on; }

// byte_memset serves the calls made before the C library's memset is
// found (none are expected: the first call looks it up). The loop must
// not be turned into a call to memset by the compiler.
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static void *
byte_memset(void *s, int c, size_t n) {
  volatile unsigned char *p = s;
  while (n-- > 0) *p++ = (unsigned char)c;
  return s;
}

void *memset(void *s, int c, size_t n) {
  memset_fn f = __atomic_load_n(&libc_memset, __ATOMIC_ACQUIRE);
  if (__builtin_expect(f == NULL, 0)) {
    f = (memset_fn)dlsym(RTLD_NEXT, "memset");
    if (f == NULL) return byte_memset(s, c, n);
    __atomic_store_n(&libc_memset, f, __ATOMIC_RELEASE);
  }
  if (__builtin_expect(zero_by_release, 0) && c == 0 && n >= (1 << 20)) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)s, end = start + n;
    uintptr_t a = (start + page - 1) & ~(page - 1), b = end & ~(page - 1);
    // Only the encoder's own heap memory is zeroed on this thread while
    // the flag is set, and the C library's heap is private and
    // anonymous, where a page given back reads as zeros.
    if (b > a && madvise((void *)a, b - a, MADV_DONTNEED) == 0) {
      f(s, 0, a - start);
      f((void *)b, 0, end - b);
      return s;
    }
  }
  return f(s, c, n);
}
