package e2e

import (
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"peercall/media"
	"peercall/media/quality"
	"peercall/media/tone"
)

// A clip and a sound file sent in place of the camera and microphone
// arrive as they were sent: the other side's --video-out clip has the
// sent clip's size, rate and pictures (each received picture matched by
// the number marked on it to the one sent), and its --audio-out file the
// sound file's notes at the file's level.
func TestClipAndSoundFilesThroughACall(t *testing.T) {
	const seconds, w, h, fps, clipFrames = 8, 320, 240, 25, 50
	dir := t.TempDir()
	clipPath := filepath.Join(dir, "sent.y4m")
	sent := makeClip(t, clipPath, w, h, fps, clipFrames)
	wavPath := filepath.Join(dir, "sent.wav")
	const note, quietNote, level = 523.25, 1500.0, 0.25 // C5 over a softer overtone, -12 dBFS
	writeWAV48k(t, wavPath, 3*48000, func(i int) float64 {
		t := float64(i) / 48000
		return level * (math.Sin(2*math.Pi*note*t) + 0.3*math.Sin(2*math.Pi*quietNote*t)) / 1.3
	})
	gotClip, gotWAV := filepath.Join(dir, "received.y4m"), filepath.Join(dir, "received.wav")

	inviter, joiner := twoProcessCall(t, callOptions{seconds: seconds,
		flags:        []string{"--stun", "none", "--interface", "lo"},
		inviterFlags: []string{"--source", clipPath, "--audio-source", wavPath, "--audio-out", "none"},
		joinerFlags:  []string{"--source", "pattern", "--size", "640x480", "--audio-source", "none", "--video-out", gotClip, "--audio-out", gotWAV}})
	if s := inviter.final(); s.SendWidth != w || s.SendHeight != h || math.Abs(s.SendFPS-fps) > 2 || s.Source != "clip" {
		t.Errorf("inviter sent %q at %dx%d@%.1f, want the clip at %dx%d@%d", s.Source, s.SendWidth, s.SendHeight, s.SendFPS, w, h, fps)
	}

	// The pictures: as many as were decoded, each matched by its number
	// to the one sent.
	res := analyzeReceived(t, gotClip, sent)
	decoded := joiner.final().FramesDecoded
	if got := uint64(res.Received); got+5 < decoded || decoded < uint64(fps*seconds*6/10) {
		t.Errorf("%d pictures in the received clip for %d decoded, want all of about %d", got, decoded, fps*seconds)
	}
	if res.Unread > res.Received/20 || res.Skipped > res.Received/10 || res.PSNRMean < 32 || res.PSNRP5 < 26 || res.SSIMMean < 0.8 {
		t.Errorf("received against the clip: %v; want them readable, few skipped, PSNR ≥ 32 dB on average and ≥ 26 dB at the 5th percentile", res)
	} else {
		t.Logf("received against the clip: %v", res)
	}

	// The sound: the file's note, at its level.
	pcm, err := media.ReadWAV(gotWAV)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm) < (seconds-2)*48000 {
		t.Fatalf("received %.1f s of sound, want about %d s", float64(len(pcm))/48000, seconds)
	}
	window := pcm[len(pcm)-(seconds-3)*48000 : len(pcm)-48000]
	if fr := tone.DominantFrequency(window, 48000); math.Abs(fr-note) > 8 {
		t.Errorf("strongest frequency received %.1f Hz, want the file's %.1f", fr, note)
	}
	var sum float64
	for _, s := range window {
		sum += float64(s) * float64(s)
	}
	rms := math.Sqrt(sum/float64(len(window))) / 32768
	want := level * math.Sqrt(1+0.09) / 1.3 / math.Sqrt2
	if db := 20 * math.Log10(rms/want); math.Abs(db) > 6 {
		t.Errorf("received level %.1f dB from the file's, want within 6 dB", db)
	}
}

// makeClip writes n pictures of w×h at fps that a camera might give: a
// synthetic photograph (smooth colour ramps with a checkered patch)
// filmed by a moving camera with a little sensor noise, each picture
// marked with its number (media/quality). It returns the pictures.
func makeClip(t *testing.T, path string, w, h, fps, n int) []*image.YCbCr {
	t.Helper()
	photo := image.NewRGBA(image.Rect(0, 0, 2*w, 2*h))
	for y := range 2 * h {
		for x := range 2 * w {
			c := color.RGBA{uint8(255 * x / (2 * w)), uint8(255 * y / (2 * h)), 110, 255}
			if (x/12+y/12)%2 == 0 && x > w/2 && x < 3*w/2 {
				c.B = 220
			}
			photo.Set(x, y, c)
		}
	}
	clip := quality.Camera{Width: w, Height: h, Frames: n, Pan: 0.2, Zoom: 0.2, Noise: 1, Seed: 5}.Clip(photo)
	writeClipFile(t, path, clip, fps)
	return clip
}

// writeWAV48k writes n samples of sample(i) (−1..1) as 16-bit 48 kHz mono.
func writeWAV48k(t *testing.T, path string, n int, sample func(i int) float64) {
	t.Helper()
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00")
	b = binary.LittleEndian.AppendUint32(b, 48000)
	b = binary.LittleEndian.AppendUint32(b, 96000)
	b = append(b, 2, 0, 16, 0)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(2*n))
	for i := range n {
		b = binary.LittleEndian.AppendUint16(b, uint16(int16(math.Round(32767*sample(i)))))
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
