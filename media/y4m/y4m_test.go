package y4m

import (
	"bytes"
	"errors"
	"image"
	"io"
	"strings"
	"testing"
)

// picture makes a w×h 4:2:0 picture whose every sample says where it is
// and which picture it belongs to.
func picture(w, h, n int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = byte(i*7 + n)
	}
	for i := range img.Cb {
		img.Cb[i] = byte(i*3 + n)
		img.Cr[i] = byte(i*5 + n)
	}
	return img
}

func samePicture(a, b *image.YCbCr) bool {
	return bytes.Equal(a.Y, b.Y) && bytes.Equal(a.Cb, b.Cb) && bytes.Equal(a.Cr, b.Cr)
}

func TestWriteThenRead(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Width: 34, Height: 18, RateNum: 30000, RateDen: 1001})
	if err != nil {
		t.Fatal(err)
	}
	var sent []*image.YCbCr
	for n := range 3 {
		p := picture(34, 18, n)
		sent = append(sent, p)
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "YUV4MPEG2 W34 H18 F30000:1001 Ip A1:1 C420jpeg\nFRAME\n"; !strings.HasPrefix(buf.String(), want) {
		t.Errorf("the clip starts %q, want %q", buf.String()[:len(want)], want)
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.Width != 34 || h.Height != 18 || h.FPS() < 29.96 || h.FPS() > 29.98 {
		t.Errorf("header %+v (%.3f fps)", h, h.FPS())
	}
	got := h.NewPicture()
	for n := range 3 {
		if err := r.Read(got); err != nil {
			t.Fatalf("picture %d: %v", n, err)
		}
		if !samePicture(got, sent[n]) {
			t.Errorf("picture %d differs from the one written", n)
		}
	}
	if err := r.Read(got); err != io.EOF {
		t.Errorf("after the last picture: %v, want io.EOF", err)
	}
}

// A picture that is a window of a larger one is written as the window.
func TestWriteSubPicture(t *testing.T) {
	big := picture(64, 32, 1)
	sub := big.SubImage(image.Rect(16, 8, 48, 24)).(*image.YCbCr)
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Header{Width: 32, Height: 16})
	if err := w.Write(sub); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got := r.Header().NewPicture()
	if err := r.Read(got); err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 16; y++ {
		for x := 0; x < 32; x++ {
			if got.Y[got.YOffset(x, y)] != big.Y[big.YOffset(x+16, y+8)] ||
				got.Cb[got.COffset(x, y)] != big.Cb[big.COffset(x+16, y+8)] {
				t.Fatalf("sample (%d, %d) differs", x, y)
			}
		}
	}
}

// What ffmpeg writes: frame parameters on FRAME lines, extensions and
// an odd size.
func TestReadsFFmpegClips(t *testing.T) {
	const w, h = 5, 3 // chroma 3×2
	clip := "YUV4MPEG2 W5 H3 F25:1 Ip A0:0 C420mpeg2 XYSCSS=420MPEG2\nFRAME Ixyz\n" + strings.Repeat("a", w*h+2*3*2)
	r, err := NewReader(strings.NewReader(clip))
	if err != nil {
		t.Fatal(err)
	}
	if r.Header().FPS() != 25 {
		t.Errorf("rate %v, want 25", r.Header().FPS())
	}
	img := r.Header().NewPicture()
	if err := r.Read(img); err != nil {
		t.Fatal(err)
	}
	if img.Y[0] != 'a' || img.Cr[len(img.Cr)-1] != 'a' {
		t.Errorf("the picture was not read")
	}
}

func TestRefusesWhatItCannotRead(t *testing.T) {
	for _, c := range []struct {
		name, clip, says string
	}{
		{"not a clip", "RIFF....WAVEfmt \n", "does not start with YUV4MPEG2"},
		{"empty", "", "ends before its header"},
		{"header cut", "YUV4MPEG2 W4 H4", "ends before its header"},
		{"no size", "YUV4MPEG2 F30:1\n", "picture size 0x0"},
		{"interlaced", "YUV4MPEG2 W4 H4 It\n", "interlaced"},
		{"4:4:4", "YUV4MPEG2 W4 H4 C444\n", "C444"},
		{"10-bit", "YUV4MPEG2 W4 H4 C420p10\n", "C420p10"},
		{"bad rate", "YUV4MPEG2 W4 H4 F30:0\n", "frame rate"},
		{"huge", "YUV4MPEG2 W100000 H4\n", "picture size"},
		{"endless line", "YUV4MPEG2" + strings.Repeat(" X", 4000), "longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(c.clip))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want ErrFormat saying %q", err, c.says)
			}
		})
	}
	for _, c := range []struct {
		name, frames, says string
	}{
		{"cut in a picture", "FRAME\n" + strings.Repeat("x", 10), "cut short in picture 1"},
		{"no FRAME line", strings.Repeat("x", 24) + "\n", "does not start with FRAME"},
		{"FRAME line cut", "FRA", "cut short in picture 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader("YUV4MPEG2 W4 H4 F30:1\n" + c.frames))
			if err != nil {
				t.Fatal(err)
			}
			err = r.Read(r.Header().NewPicture())
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want ErrFormat saying %q", err, c.says)
			}
		})
	}
}

func TestPicturesOfTheWrongSizeAreRefused(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Header{Width: 8, Height: 8})
	if err := w.Write(picture(16, 8, 0)); err == nil {
		t.Error("a 16×8 picture was written to an 8×8 clip")
	}
	r, _ := NewReader(strings.NewReader("YUV4MPEG2 W8 H8\nFRAME\n" + strings.Repeat("x", 96)))
	if err := r.Read(picture(4, 4, 0)); err == nil {
		t.Error("an 8×8 picture was read into a 4×4 one")
	}
}
