package e2e

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"peercall/bench"
	"peercall/media/quality"
	"peercall/media/y4m"
)

// Full-stack picture quality: a camera-like clip goes through a
// two-process call, the receiver writes what it decodes (--video-out), and
// each received picture is matched, by the number marked on it, to the
// picture sent (media/quality). make bench runs it and reports the figures
// in BENCHMARKS.md.

var qualityOut = flag.String("quality-out", "", "BenchmarkCallQuality: write the calls' figures, as JSON, to this file")

// qualityPhoto is the photograph the clips film (Debian's mate-backgrounds).
const qualityPhoto = "Blinds.jpg"

// qualityClips are the cameras filmed: one moving (a hand-held laptop
// turned and brought closer), one on a tripod in a dim room (more noise).
var qualityClips = []struct {
	name string
	cam  quality.Camera
}{
	{"moving camera", quality.Camera{Pan: 0.15, Zoom: 0.25, Noise: 2, Seed: 11}},
	{"still camera, noisy", quality.Camera{Noise: 4, Seed: 12}},
}

// qualityLinks are the links: clean, and the lossy link of
// BenchmarkImpairedLinks (5 % random loss each way, 40 ± 5 ms).
var qualityLinks = []struct {
	name    string
	lossPct float64
}{{"clean", 0}, {"5 % loss", 5}}

const qualitySeconds = 30

// writeClipFile writes pictures as a Y4M clip at fps.
func writeClipFile(tb testing.TB, path string, clip []*image.YCbCr, fps int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	size := clip[0].Rect.Size()
	w, err := y4m.NewWriter(f, y4m.Header{Width: size.X, Height: size.Y, RateNum: fps, RateDen: 1})
	if err != nil {
		tb.Fatal(err)
	}
	for _, img := range clip {
		if err := w.Write(img); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkCallQuality: each clip over each link, 30 s, 640×480@30 from
// a 10-second clip looped; the joiner sends the test pattern back.
func BenchmarkCallQuality(b *testing.B) {
	const width, height, fps = 640, 480, 30
	photo, err := quality.LoadPhoto(filepath.Join(quality.PhotoDir, qualityPhoto))
	if err != nil {
		b.Skipf("needs Debian's mate-backgrounds photographs (apt-get install mate-backgrounds): %v", err)
	}
	if os.Geteuid() != 0 {
		b.Skip("needs root for the network namespaces")
	}
	for range b.N {
		var runs []bench.QualityRun
		for ci, c := range qualityClips {
			cam := c.cam
			cam.Width, cam.Height, cam.Frames = width, height, 10*fps
			clip := cam.Clip(photo)
			// The same camera without its noise: the scene a viewer wants
			// to see, against which a denoised picture is judged.
			clean := cam
			clean.Noise = 0
			scene := clean.Clip(photo)
			clipPath := filepath.Join(b.TempDir(), "sent.y4m")
			writeClipFile(b, clipPath, clip, fps)
			for li, l := range qualityLinks {
				seed := uint64(300 + 10*ci + 2*li)
				n := impNetwork(b, fmt.Sprintf("q%d%d", ci, li), lossyLink(l.lossPct/100, seed), lossyLink(l.lossPct/100, seed+1))
				got := filepath.Join(b.TempDir(), "received.y4m")
				start := time.Now()
				_, joiner := twoProcessCall(b, callOptions{seconds: qualitySeconds,
					flags:         []string{"--stun", "none", "--interface", "imp0", "--audio-source", "tone"},
					inviterFlags:  []string{"--source", clipPath},
					joinerFlags:   []string{"--source", "pattern", "--size", fmt.Sprintf("%dx%d", width, height), "--video-out", got},
					inviterPrefix: nsExec(n.nsA), joinerPrefix: nsExec(n.nsB)})
				elapsed := time.Since(start)
				res := analyzeReceived(b, got, clip)
				sceneRes := analyzeReceived(b, got, scene)
				s := joiner.final()
				run := bench.QualityRun{Clip: c.name, Link: l.name, LossPct: l.lossPct, Seconds: qualitySeconds,
					Width: width, Height: height, FPS: fps,
					Result: res, Scene: sceneRes,
					DecodedFPS: s.FPS, LongestFreezeMs: s.LongestFreezeMs,
					LinkKbps: float64(n.link.AB().OutBytes*8) / elapsed.Seconds() / 1000}
				b.Logf("%s over the %s link: %v; against the scene PSNR %.2f dB, SSIM %.4f; %.1f fps decoded, longest freeze %.0f ms, %.0f kbit/s on the link",
					c.name, l.name, res, sceneRes.PSNRMean, sceneRes.SSIMMean, s.FPS, s.LongestFreezeMs, run.LinkKbps)
				runs = append(runs, run)
				if *qualityOut != "" {
					data, err := json.MarshalIndent(runs, "", "  ")
					if err != nil {
						b.Fatal(err)
					}
					if err := os.WriteFile(*qualityOut, append(data, '\n'), 0o644); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
}

// analyzeReceived measures the received clip against the sent one.
func analyzeReceived(tb testing.TB, path string, sent []*image.YCbCr) quality.Result {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := y4m.NewReader(f)
	if err != nil {
		tb.Fatalf("the received clip: %v", err)
	}
	res, err := quality.Analyze(r, sent)
	if err != nil {
		tb.Fatalf("the received clip: %v", err)
	}
	return res
}
