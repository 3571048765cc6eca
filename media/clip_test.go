package media

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"peercall/media/y4m"
)

// writeClip writes n pictures of w×h at fps, picture i filled with luma
// 16+i, and returns the file's path.
func writeClip(t *testing.T, w, h, fps, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cw, err := y4m.NewWriter(f, y4m.Header{Width: w, Height: h, RateNum: fps, RateDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for j := range img.Y {
			img.Y[j] = byte(16 + i)
		}
		if err := cw.Write(img); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// The clip is sent at its own rate and size, from its first picture, and
// starts again after its last.
func TestClipSourceLoops(t *testing.T) {
	path := writeClip(t, 32, 16, 100, 3)
	src, err := NewClipSource(path, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if w, h := src.Size(); w != 32 || h != 16 || src.FPS() != 100 {
		t.Errorf("size %dx%d at %d fps, want 32x16 at the clip's 100", w, h, src.FPS())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []byte
	for range 7 {
		img, at, err := src.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(at) > 5*time.Second || img.Rect.Dx() != 32 {
			t.Fatalf("picture %v at %v", img.Rect, at)
		}
		got = append(got, img.Y[0]-16)
	}
	if string(got) != "\x00\x01\x02\x00\x01\x02\x00" {
		t.Errorf("pictures sent %v, want 0 1 2 0 1 2 0", got)
	}
	src.Close()
	if _, _, err := src.ReadFrame(ctx); !errors.Is(err, errEOF) {
		t.Errorf("read after Close: %v, want the end of the source", err)
	}
}

// A clip without a rate is sent at the call's.
func TestClipWithoutRate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "norate.y4m")
	os.WriteFile(path, []byte("YUV4MPEG2 W16 H16\nFRAME\n"+strings.Repeat("\x80", 16*16*3/2)), 0o644)
	src, err := NewClipSource(path, 25)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.FPS() != 25 {
		t.Errorf("%d fps, want the call's 25", src.FPS())
	}
}

// Files that cannot be sent are refused at once, in one line that names
// the file.
func TestClipSourceRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	for _, c := range []struct {
		name, path, says string
	}{
		{"missing", filepath.Join(dir, "none.y4m"), "no such file"},
		{"not a clip", write("photo.y4m", "\x89PNG\r\n\x1a\n"), "not a 4:2:0 Y4M clip"},
		{"no pictures", write("empty.y4m", "YUV4MPEG2 W16 H16 F30:1\n"), "has no pictures"},
		{"cut short", write("cut.y4m", "YUV4MPEG2 W16 H16 F30:1\nFRAME\nabc"), "cut short"},
		{"odd size", write("odd.y4m", "YUV4MPEG2 W17 H16 F30:1\nFRAME\n"+strings.Repeat("x", 17*16+2*9*8)), "must be even"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, err := NewClipSource(c.path, 30)
			if err == nil {
				src.Close()
				t.Fatal("accepted")
			}
			if msg := err.Error(); !strings.Contains(msg, c.says) || !strings.Contains(msg, filepath.Base(c.path)) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line naming the file and saying %q", msg, c.says)
			}
		})
	}
}

// Received pictures go to the clip at the first one's size; smaller ones
// are scaled up to it.
func TestClipWriterKeepsTheFirstSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.y4m")
	w, err := NewClipWriter(path, 30)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []image.Point{{64, 48}, {32, 24}, {64, 48}} {
		img := image.NewYCbCr(image.Rectangle{Max: size}, image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = 200
		}
		w.WriteFrame(img)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Frames() != 3 {
		t.Errorf("%d pictures written, want 3", w.Frames())
	}
	src, err := NewClipSource(path, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if cw, ch := src.Size(); cw != 64 || ch != 48 || src.FPS() != 30 {
		t.Errorf("clip of %dx%d at %d fps, want 64x48 at 30", cw, ch, src.FPS())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 3 {
		img, _, err := src.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if y := img.Y[img.YOffset(32, 24)]; y < 195 || y > 205 {
			t.Errorf("picture %d: luma %d in the middle, want about 200", i, y)
		}
	}
}

// A call that received nothing leaves an empty file, and a writer that
// cannot create its file says so at once.
func TestClipWriterWithoutPictures(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.y4m")
	w, err := NewClipWriter(path, 30)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Errorf("file after no pictures: %v, %v", st, err)
	}
	w.WriteFrame(image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio420)) // after Close: dropped
	if _, err := NewClipWriter(filepath.Join(t.TempDir(), "no", "dir.y4m"), 30); err == nil {
		t.Error("a clip in a folder that does not exist was accepted")
	}
}
