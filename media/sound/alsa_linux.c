// ALSA's error messages, caught before they reach the terminal. The
// handler is set through libasound as miniaudio loads it (dlopen), so
// Peercall needs neither ALSA's headers to build nor the library to start.
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>

#include "_cgo_export.h"

typedef void (*alsa_error_handler)(const char *file, int line, const char *function, int err, const char *fmt, ...);
typedef int (*alsa_set_error_handler)(alsa_error_handler handler);

static void peercall_alsa_error(const char *file, int line, const char *function, int err, const char *fmt, ...) {
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	peercallALSAMessage((char *)file, line, (char *)function, err, msg);
}

int peercall_quiet_alsa(void) {
	// Kept open for good: the handler lives in the library's state, which
	// must outlast every miniaudio context that opens and closes it.
	void *lib = dlopen("libasound.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (lib == NULL) {
		return 0;
	}
	alsa_set_error_handler set = (alsa_set_error_handler)dlsym(lib, "snd_lib_error_set_handler");
	if (set == NULL) {
		return 0;
	}
	return set(peercall_alsa_error) == 0;
}
