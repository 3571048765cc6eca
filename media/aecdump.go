package media

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// EchoDumpEnv names the environment variable that, set to a directory,
// makes a call's echo canceller record what it is handed and what it gives
// back, for studying echo cancellation on real devices offline. It is off
// unless set. The directory gets, as 48 kHz mono WAV files:
//
//   - played.wav: every frame handed to the speaker, as the playout thread
//     gave it to the canceller;
//   - mic.wav: every microphone frame as the canceller got it;
//   - ref.wav: the played frame the canceller took as each microphone
//     frame's reference, sample-aligned with mic.wav;
//   - out.wav: the canceller's output for each microphone frame;
//
// and timing.csv, one line per device callback: "p" (played) or "c"
// (captured), and microseconds since the dump began. Files of an earlier
// call in the same directory are overwritten. The files are written from
// the device threads, so this is for tests, not for calls that matter.
const EchoDumpEnv = "PEERCALL_AEC_DUMP"

// echoDump writes the echo canceller's streams as EchoDumpEnv describes.
type echoDump struct {
	mu                    sync.Mutex
	start                 time.Time
	played, mic, ref, out *wavWriter
	timing                *bufio.Writer
	timingFile            *os.File
	closed                bool
}

// openEchoDump starts a dump when EchoDumpEnv is set; nil otherwise or if
// the files cannot be created (logged).
func openEchoDump() *echoDump {
	dir := os.Getenv(EchoDumpEnv)
	if dir == "" {
		return nil
	}
	d := &echoDump{start: time.Now()}
	var err error
	create := func(name string) *os.File {
		if err != nil {
			return nil
		}
		var f *os.File
		f, err = os.Create(filepath.Join(dir, name))
		return f
	}
	files := []*os.File{create("played.wav"), create("mic.wav"), create("ref.wav"), create("out.wav"), create("timing.csv")}
	if err != nil {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
		slog.Warn("echo canceller dump unavailable", "dir", dir, "why", err)
		return nil
	}
	d.played, d.mic, d.ref, d.out = newWavWriter(files[0]), newWavWriter(files[1]), newWavWriter(files[2]), newWavWriter(files[3])
	d.timingFile = files[4]
	d.timing = bufio.NewWriter(d.timingFile)
	return d
}

func (d *echoDump) event(kind byte) {
	fmt.Fprintf(d.timing, "%c,%d\n", kind, time.Since(d.start).Microseconds())
}

// playback records a frame handed to the speaker.
func (d *echoDump) playback(frame []int16) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.event('p')
	d.played.Write(frame)
}

// capture records one microphone frame, its reference and the output.
func (d *echoDump) capture(mic, ref, out []int16) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.event('c')
	d.mic.Write(mic)
	d.ref.Write(ref)
	d.out.Write(out)
}

// close finishes the files; later records are ignored.
func (d *echoDump) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	for _, w := range []*wavWriter{d.played, d.mic, d.ref, d.out} {
		if err := w.Close(); err != nil {
			slog.Warn("echo canceller dump", "why", err)
		}
	}
	d.timing.Flush()
	d.timingFile.Close()
}
