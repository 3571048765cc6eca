package sound

/*
#cgo LDFLAGS: -ldl
int peercall_quiet_alsa(void);
*/
import "C"

import (
	"log/slog"
	"strconv"
	"sync"
)

// quietALSA sends ALSA's own messages to the debug log instead of the
// terminal. With no sound server running, miniaudio falls back to ALSA,
// and ALSA writes a line to stderr for every device it fails to find while
// probing ("ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM
// dmix"), dozens before Open even returns its error. What went wrong
// reaches the caller as ErrNoSoundSystem, ErrNoMicrophone or ErrNoSpeaker.
var quietALSA = sync.OnceFunc(func() {
	if C.peercall_quiet_alsa() == 0 {
		slog.Debug("sound: ALSA's messages could not be caught; it may write to the terminal")
	}
})

//export peercallALSAMessage
func peercallALSAMessage(file *C.char, line C.int, function *C.char, code C.int, msg *C.char) {
	slog.Debug("sound: ALSA says "+C.GoString(msg),
		"where", C.GoString(file)+":"+strconv.Itoa(int(line)), "function", C.GoString(function), "code", int(code))
}
