#ifndef PEERCALL_ZEROPAGES_H
#define PEERCALL_ZEROPAGES_H

// pc_zero_by_release turns on (1) or off (0), for the calling thread, the
// zeroing of large buffers by giving their pages back to the kernel
// (zeropages_linux.c). Elsewhere it does nothing.
#ifdef __linux__
void pc_zero_by_release(int on);
#else
static inline void pc_zero_by_release(int on) { (void)on; }
#endif

#endif
