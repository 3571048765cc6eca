package e2e

import (
	"encoding/binary"
	"errors"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"peercall/media"
	"peercall/media/tone"
	"peercall/media/y4m"
)

// A clip and a sound file sent in place of the camera and microphone
// arrive as they were sent: the other side's --video-out clip has the
// sent clip's size, rate and pictures (each received picture matched to
// the sent one it is closest to), and its --audio-out file the sound
// file's notes at the file's level.
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

	// The pictures: as many as were decoded, each close to a sent one.
	f, err := os.Open(gotClip)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := y4m.NewReader(f)
	if err != nil {
		t.Fatalf("the received clip: %v", err)
	}
	if hd := r.Header(); hd.Width != w || hd.Height != h {
		t.Fatalf("received clip is %dx%d, want %dx%d", hd.Width, hd.Height, w, h)
	}
	var psnrs []float64
	img := r.Header().NewPicture()
	for n := 0; ; n++ {
		err := r.Read(img)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("received picture %d: %v", n, err)
		}
		if n%5 == 0 {
			best := 0.0
			for _, s := range sent {
				best = max(best, lumaPSNR(img, s))
			}
			psnrs = append(psnrs, best)
		}
	}
	decoded := joiner.final().FramesDecoded
	if got := uint64(len(psnrs)-1) * 5; got+5 < decoded || decoded < uint64(fps*seconds*6/10) {
		t.Errorf("%d pictures in the received clip for %d decoded, want all of about %d", got, decoded, fps*seconds)
	}
	slices.Sort(psnrs)
	if len(psnrs) == 0 || psnrs[len(psnrs)/2] < 32 || psnrs[len(psnrs)/10] < 26 {
		t.Errorf("received pictures against the clip: PSNR %v dB, want a median ≥ 32 dB and a 10th percentile ≥ 26", psnrs)
	} else {
		t.Logf("%d received pictures checked: PSNR median %.1f dB, worst %.1f dB", len(psnrs), psnrs[len(psnrs)/2], psnrs[0])
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
// smooth gradient with a textured square moving over it, each picture
// different. It returns the pictures.
func makeClip(t *testing.T, path string, w, h, fps, n int) []*image.YCbCr {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cw, err := y4m.NewWriter(f, y4m.Header{Width: w, Height: h, RateNum: fps, RateDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	var out []*image.YCbCr
	for i := range n {
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		sx, sy := 20+i*4, 40+int(30*math.Sin(float64(i)/8))
		for y := range h {
			for x := range w {
				v := 40 + 150*x/w + 20*y/h
				if x >= sx && x < sx+64 && y >= sy && y < sy+64 {
					v = 60 + 120*(((x-sx)/8+(y-sy)/8)%2)
				}
				img.Y[y*img.YStride+x] = byte(v)
			}
		}
		for y := range h / 2 {
			for x := range w / 2 {
				img.Cb[y*img.CStride+x] = byte(100 + 50*x*2/w)
				img.Cr[y*img.CStride+x] = byte(150 - 40*y*2/h)
			}
		}
		if err := cw.Write(img); err != nil {
			t.Fatal(err)
		}
		out = append(out, img)
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	return out
}

// lumaPSNR compares two pictures of one size on their luma.
func lumaPSNR(a, b *image.YCbCr) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var se float64
	for y := range h {
		ra, rb := a.Y[y*a.YStride:y*a.YStride+w], b.Y[y*b.YStride:y*b.YStride+w]
		for x := range w {
			d := float64(ra[x]) - float64(rb[x])
			se += d * d
		}
	}
	if se == 0 {
		return 99
	}
	return 10 * math.Log10(255*255*float64(w*h)/se)
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
