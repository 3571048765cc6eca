package media

import (
	"context"
	"image"
	"testing"
	"time"

	"peercall/media/pattern"
	"peercall/media/vp8"
)

// clockSource gives n pattern pictures as fast as they are read, stamped
// 1/fps apart on a clock of its own, and calls at(i) before picture i.
type clockSource struct {
	gen   *pattern.Generator
	start time.Time
	fps   int
	i, n  int
	at    func(i int)
	name  func(i int) string // the source's name before picture i; nil: "clock"
	still bool               // every picture is the first one (a still camera)
	first *image.YCbCr
}

func (c *clockSource) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	if c.i >= c.n {
		return nil, time.Time{}, errEOF
	}
	if c.at != nil {
		c.at(c.i)
	}
	t := c.start.Add(time.Duration(c.i) * time.Second / time.Duration(c.fps))
	c.i++
	if c.still {
		if c.first == nil {
			c.first = c.gen.Next(t)
		}
		return c.first, t, nil
	}
	return c.gen.Next(t), t, nil
}
func (c *clockSource) Close() error { return nil }
func (c *clockSource) Name() string {
	if c.name != nil {
		return c.name(c.i)
	}
	return "clock"
}

// Pictures from a still camera, or a clip standing for one, are coded
// with the denoiser; generated ones, and a camera that moves, without; the
// sender follows its source as it switches.
func TestVideoSenderDenoisesCameraPictures(t *testing.T) {
	const fps = 30
	var s *VideoSender
	names := []string{"camera", "camera-off", "clip", "pattern"}
	seen := map[int]int{} // frame → denoiser level it was coded with
	src := &clockSource{gen: pattern.NewGenerator(320, 240), start: time.Now(), fps: fps, n: 4 * 20, still: true,
		name: func(i int) string { return names[min(i/20, 3)] },
		at: func(i int) {
			if i > 0 {
				seen[i-1] = s.Stats().Denoise
			}
		}}
	s = NewVideoSender(src, fps, func([]byte, time.Duration) error { return nil })
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		frame, level int
	}{{5, cameraDenoise}, {25, 0}, {45, cameraDenoise}, {65, 0}} {
		if seen[c.frame] != c.level {
			t.Errorf("picture %d (from the %s) coded with denoiser level %d, want %d", c.frame, names[c.frame/20], seen[c.frame], c.level)
		}
	}

	// A camera whose picture moves all over (the pattern's time code,
	// scrolling strip and box change most of it) is coded without it.
	seen = map[int]int{}
	src = &clockSource{gen: pattern.NewGenerator(320, 240), start: time.Now(), fps: fps, n: 20,
		name: func(int) string { return "camera" },
		at: func(i int) {
			if i > 0 {
				seen[i-1] = s.Stats().Denoise
			}
		}}
	s = NewVideoSender(src, fps, func([]byte, time.Duration) error { return nil })
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen[15] != 0 {
		t.Errorf("a moving camera's picture 15 coded with denoiser level %d, want 0", seen[15])
	}
}

func TestLadderStepsDownAndBackUp(t *testing.T) {
	var c ladderClimber
	now := time.Unix(1000, 0)
	feed := func(bps int, d time.Duration) int {
		end := now.Add(d)
		l := c.level
		for ; now.Before(end); now = now.Add(33 * time.Millisecond) {
			l = c.update(bps, 640, 480, 30, now)
		}
		return l
	}
	if l := feed(600_000, 5*time.Second); l != 0 {
		t.Fatalf("600 kbit/s for 640x480@30: level %d, want 0", l)
	}
	// A dip shorter than the step-down delay changes nothing.
	if l := feed(100_000, 500*time.Millisecond); l != 0 {
		t.Fatalf("after a half-second dip: level %d, want 0", l)
	}
	if l := feed(600_000, time.Second); l != 0 {
		t.Fatalf("level %d, want 0", l)
	}
	// 150 kbit/s is too little for 640x480 but enough for 480x360.
	if l := feed(150_000, 3*time.Second); l != 1 {
		t.Fatalf("150 kbit/s: level %d, want 1 (480x360@30)", l)
	}
	// 40 kbit/s: down to 320x240 and then to 15 frames a second.
	if l := feed(40_000, 5*time.Second); l != 3 {
		t.Fatalf("40 kbit/s: level %d, want 3 (320x240@15)", l)
	}
	// Plenty again: back up one step every few seconds, to the top.
	if l := feed(2_000_000, 2*time.Second); l != 3 {
		t.Fatalf("2 s after the estimate recovered: level %d, want still 3", l)
	}
	if l := feed(2_000_000, 20*time.Second); l != 0 {
		t.Fatalf("20 s later: level %d, want 0", l)
	}
}

// A sender told the bandwidth is very low sends a smaller picture at a
// lower frame rate, and every frame it sends decodes at that size.
func TestVideoSenderStepsDownWhenBandwidthIsLow(t *testing.T) {
	const fps = 30
	dec, err := vp8.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var s *VideoSender
	src := &clockSource{gen: pattern.NewGenerator(640, 480), start: time.Now(), fps: fps, n: 8 * fps}
	type sent struct {
		w, h int
		d    time.Duration
	}
	var frames []sent
	s = NewVideoSender(src, fps, func(frame []byte, d time.Duration) error {
		img, err := dec.Decode(frame)
		if err != nil {
			t.Fatalf("frame %d does not decode: %v", len(frames), err)
		}
		frames = append(frames, sent{img.Rect.Dx(), img.Rect.Dy(), d})
		return nil
	})
	s.SetTargetBitrate(40_000)
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(frames) == 0 || frames[0].w != 640 || frames[0].h != 480 {
		t.Fatalf("first frame %+v, want 640x480", frames[:1])
	}
	last := frames[len(frames)-1]
	if last.w != 320 || last.h != 240 || last.d != time.Second/15 {
		t.Errorf("last frame %dx%d lasting %v, want 320x240 at 15 fps", last.w, last.h, last.d)
	}
	st := s.Stats()
	if st.Width != 320 || st.Height != 240 || st.FPS != 15 || st.Level != 3 {
		t.Errorf("stats say %dx%d at %.0f fps, level %d", st.Width, st.Height, st.FPS, st.Level)
	}
	// Stepping down resets the encoder, so each new size starts with a
	// keyframe: one at the start and one per step.
	if st.Keyframes != 4 {
		t.Errorf("%d keyframes, want 4 (start and three steps)", st.Keyframes)
	}
}

// The encoder may use what a browser gives VP8 for the size sent, and
// never less than a tenth of the nominal rate.
func TestBitrateRange(t *testing.T) {
	for _, tc := range []struct {
		w, h, fps        int
		wantMin, wantMax int
	}{
		{640, 480, 30, 73_728, 1_700_000},
		{1280, 720, 30, 221_184, 2_500_000},
		{480, 360, 30, 60_000, 1_700_000},
		{320, 240, 30, 60_000, 600_000},
		{320, 240, 15, 60_000, 300_000},
		{160, 120, 15, 60_000, 300_000},
	} {
		lo, hi := BitrateRange(tc.w, tc.h, tc.fps)
		if lo != tc.wantMin || hi != tc.wantMax {
			t.Errorf("%dx%d@%d: %d..%d bit/s, want %d..%d", tc.w, tc.h, tc.fps, lo, hi, tc.wantMin, tc.wantMax)
		}
	}
}
