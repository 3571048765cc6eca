//go:build aec3 && cgo

package room_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"peercall/media/aec/aec3"
	"peercall/media/aec/room"
)

var aec3Table = flag.String("aec3-table", "", "BenchmarkAEC3Rooms writes its Markdown tables to this file")

// aec3OutputLag measures how many samples c's output lags its input: with
// silence played, it captures 2 s of white noise and returns the lag, up to
// 2000 samples, at which the output from 1.5 s on correlates best with the
// microphone. AEC3 states no latency of its own.
func aec3OutputLag(c room.Canceller) int {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 2 * room.Rate
	mic := make([]int16, n)
	for i := range mic {
		mic[i] = int16(rng.NormFloat64() * 3000)
	}
	out := make([]int16, n)
	silence := make([]int16, room.FrameSamples)
	for i := 0; i+room.FrameSamples <= n; i += room.FrameSamples {
		c.Playback(silence)
		c.Capture(mic[i:i+room.FrameSamples], out[i:i+room.FrameSamples])
	}
	best, lag := math.Inf(-1), 0
	for l := 0; l <= 2000; l++ {
		var s float64
		for i := 3 * room.Rate / 2; i+l < n; i++ {
			s += float64(mic[i]) * float64(out[i+l])
		}
		if s > best {
			best, lag = s, l
		}
	}
	return lag
}

// aec3ThreadCPU is the CPU time the calling OS thread has used so far
// (getrusage RUSAGE_THREAD, user and system).
func aec3ThreadCPU() time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAEC3Rooms is the reference table for WebRTC's AEC3 (media/aec/
// aec3, only with the aec3 build tag and the library built by make aec3):
// every room of FullSeconds, without and with its noise suppression, no
// delay hint, the latency measured with aec3OutputLag. Each sub-benchmark
// reports the room's figures and the CPU time of the thread running the
// scene per 10 ms frame; with -aec3-table=FILE the Markdown tables are
// written there.
func BenchmarkAEC3Rooms(b *testing.B) {
	v := needVoices(b)
	scenes, err := room.RenderAll(room.Rooms(FullSeconds), v)
	if err != nil {
		b.Fatal(err)
	}
	var doc strings.Builder
	fmt.Fprintf(&doc, "Echo cancellation in simulated rooms (%d s each; targets: ERLE ≥ %.0f dB mean and ≥ %.0f dB 10th percentile, back to 20 dB within %.0f s, local voice ≥ %.0f dB SDR).\n",
		FullSeconds, TargetERLE, TargetERLEP10, TargetRecovery, TargetSDR)
	for _, x := range []struct {
		name string
		cfg  aec3.Config
	}{
		{"noise suppression off", aec3.Config{}},
		{"noise suppression on", aec3.Config{NoiseSuppression: true}},
	} {
		c, err := aec3.New(x.cfg)
		if err != nil {
			b.Fatal(err)
		}
		latency := aec3OutputLag(c)
		c.Close()
		var res []room.Result
		var cpu time.Duration
		var frames int
		for _, s := range scenes {
			b.Run(strings.ReplaceAll(x.name+"/"+s.Room.Name, " ", "_"), func(b *testing.B) {
				var out []int16
				var took time.Duration
				n := len(s.Mic) / room.FrameSamples
				for b.Loop() {
					c, err := aec3.New(x.cfg)
					if err != nil {
						b.Fatal(err)
					}
					runtime.LockOSThread()
					start := aec3ThreadCPU()
					out = s.Run(c)
					took = aec3ThreadCPU() - start
					runtime.UnlockOSThread()
					c.Close()
				}
				cpu += took
				frames += n
				r := s.Measure(out, latency)
				res = append(res, r)
				b.ReportMetric(float64(took.Microseconds())/float64(n), "µs/frame")
				b.ReportMetric(r.ERLEMean, "erle-dB")
				b.ReportMetric(r.ERLEP10, "erle-p10-dB")
				if !math.IsNaN(r.Recovery) {
					b.ReportMetric(min(r.Recovery, 999), "recovery-s")
				}
				if !math.IsNaN(r.SDR) {
					b.ReportMetric(r.SDR, "sdr-dB")
				}
			})
		}
		fmt.Fprintf(&doc, "\nmedia/aec/aec3 (AEC3), %s (output latency %d samples):\n\n", x.name, latency)
		room.Table(&doc, res)
		if frames > 0 {
			fmt.Fprintf(&doc, "\nCPU time: %.0f µs per 10 ms frame (mean over the rooms).\n", float64(cpu.Microseconds())/float64(frames))
		}
	}
	b.Logf("\n%s", doc.String())
	if *aec3Table != "" {
		if err := os.WriteFile(*aec3Table, []byte(doc.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
