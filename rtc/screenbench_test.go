package rtc

import (
	"context"
	"image"
	"slices"
	"testing"
	"time"

	"peercall/media"
	"peercall/media/mediatest"
	"peercall/media/quality"
	"peercall/media/yuv"
)

// BenchmarkScreenChangeReadable shares a 1920×1080 Xvfb screen of
// 12-point text in a call on loopback (a 320×240 camera beside it) and
// times, at the receiving side, how long after every line of the screen
// changed the picture received is readable (at least 30 dB PSNR against
// the new page at the received size): the first page after the share
// starts (5 s into the call), a page that changes as soon as the first
// arrived, pages that change after two seconds of a still screen
// (someone paging through a document) and pages that change every half
// second (someone flicking through). Run it with -benchtime 1x: one call
// of about 40 s; scripts/bench.sh --screen does, and writes the figures
// to BENCHMARKS.md.
func BenchmarkScreenChangeReadable(b *testing.B) {
	for range b.N {
		r := screenChanges(b)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(ms(r.first), "first-ms")
		b.ReportMetric(ms(r.quick), "after-first-ms")
		b.ReportMetric(ms(median(r.paged)), "paged-p50-ms")
		b.ReportMetric(ms(slices.Max(r.paged)), "paged-max-ms")
		b.ReportMetric(ms(median(r.flicked)), "flicked-p50-ms")
		b.ReportMetric(ms(slices.Max(r.flicked)), "flicked-max-ms")
		b.ReportMetric(float64(r.width), "received-width")
		b.ReportMetric(float64(r.targetBps)/1000, "screen-target-kbps")
		b.ReportMetric(float64(r.estimateBps)/1000, "estimate-kbps")
		b.ReportMetric(float64(r.startEstimateBps)/1000, "estimate-at-share-kbps")
		b.ReportMetric(ms(r.encode), "encode-ms")
		b.ReportMetric(float64(r.sent), "frames-sent")
		b.ReportMetric(float64(r.keyframes), "keyframes")
		b.ReportMetric(float64(r.keyframesAsked), "keyframes-asked")
		b.ReportMetric(float64(r.lost), "packets-lost")
	}
}

type screenChangeRun struct {
	first, quick     time.Duration
	paged, flicked   []time.Duration
	width            int           // of the last picture received
	targetBps        int           // the screen encoder's, at the end
	estimateBps      int           // congestion control's, at the end
	startEstimateBps int           // and when the share started
	encode           time.Duration // mean time to encode a frame of the screen
	sent             uint64        // frames of the screen sent
	keyframes        uint64
	keyframesAsked   uint64 // by the joiner, of the screen
	lost             int64  // video packets the joiner never received
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// screenChanges runs the call BenchmarkScreenChangeReadable measures.
func screenChanges(b *testing.B) screenChangeRun {
	const w, h = 1920, 1080
	display := mediatest.StartXvfb(b, w, h)
	page := 0
	paint := func() *image.YCbCr {
		page++
		img := mediatest.TextPage(w, h, page)
		want := image.NewYCbCr(img.Rect, image.YCbCrSubsampleRatio420)
		if err := yuv.FromRGB(want, img.Pix, img.Stride, w, h, yuv.RGBX); err != nil {
			b.Fatal(err)
		}
		if err := mediatest.PaintRoot(display, img); err != nil {
			b.Fatal(err)
		}
		return want
	}
	want := paint()

	var camera, screen lastFrame
	lo := []string{"lo"}
	cam := func() media.VideoSource {
		src, err := media.NewPatternSource(320, 240, 15)
		if err != nil {
			b.Fatal(err)
		}
		return src
	}
	inviter, joiner := benchPair(b,
		Config{Interfaces: lo, Video: cam(), Audio: media.NewToneInput(), FPS: 15},
		Config{Interfaces: lo, Video: cam(), Audio: media.NewToneInput(), FPS: 15, VideoSink: &camera, ScreenSink: &screen})
	defer inviter.Close()
	defer joiner.Close()
	time.Sleep(5 * time.Second)

	// readableAfter waits, bounded, for the page want to be readable at
	// the joiner and returns how long after since that was.
	readableAfter := func(since time.Time, want *image.YCbCr) time.Duration {
		b.Helper()
		var sc yuv.Scaler
		var seen uint64
		for time.Since(since) < 30*time.Second {
			if n := screen.frames.Load(); n != seen {
				seen = n
				if got := screen.last(); got != nil {
					ref := want
					if got.Rect.Size() != want.Rect.Size() {
						var err error
						if ref, err = sc.Scale(want, got.Rect.Dx(), got.Rect.Dy()); err != nil {
							b.Fatal(err)
						}
					}
					if quality.PSNR(got, ref, 0) >= 30 {
						return time.Since(since)
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.Fatalf("a page not readable within 30 s")
		return 0
	}
	var r screenChangeRun
	src, err := media.NewScreenSource(display, media.ScreenFPS)
	if err != nil {
		b.Fatal(err)
	}
	r.startEstimateBps = inviter.lastEstimate()
	start := time.Now()
	if err := inviter.ShareScreen(src, nil); err != nil {
		b.Fatal(err)
	}
	r.first = readableAfter(start, want)
	want = paint()
	r.quick = readableAfter(time.Now(), want)
	for _, gap := range []time.Duration{2 * time.Second, 500 * time.Millisecond} {
		for range 6 {
			time.Sleep(gap)
			want = paint()
			d := readableAfter(time.Now(), want)
			if gap == 2*time.Second {
				r.paged = append(r.paged, d)
			} else {
				r.flicked = append(r.flicked, d)
			}
		}
	}
	r.width = screen.last().Rect.Dx()
	st := inviter.screenTrack().video.Stats()
	r.targetBps, r.estimateBps = st.TargetBps, inviter.lastEstimate()
	r.encode = st.EncodeTotal / time.Duration(max(st.FramesSent, 1))
	r.sent, r.keyframes = st.FramesSent, st.Keyframes
	for _, t := range joiner.RemoteTracks() {
		if t.ID == ScreenTrackID {
			r.keyframesAsked = t.Video.KeyframesAsked
		}
	}
	r.lost = joiner.Stats().PacketsLost
	b.Logf("first %v, after the first %v, paged %v, flicked %v; received %d wide; screen target %d kbit/s, estimate %d kbit/s (%d when the share started); %d frames sent (%d keyframes, %d asked for), %v each to encode; %d video packets lost",
		r.first, r.quick, r.paged, r.flicked, r.width, r.targetBps/1000, r.estimateBps/1000, r.startEstimateBps/1000, r.sent, r.keyframes, r.keyframesAsked, r.encode, r.lost)
	return r
}

// benchPair connects two sessions on loopback through their codes.
func benchPair(b *testing.B, a, c Config) (inviter, joiner *Session) {
	b.Helper()
	var err error
	if inviter, err = New(a); err != nil {
		b.Fatal(err)
	}
	if joiner, err = New(c); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	inv, err := inviter.Invite(ctx)
	if err != nil {
		b.Fatal(err)
	}
	reply, err := joiner.Join(ctx, inv)
	if err != nil {
		b.Fatal(err)
	}
	if err := inviter.AcceptReply(reply); err != nil {
		b.Fatal(err)
	}
	for _, s := range []*Session{inviter, joiner} {
		select {
		case <-s.Connected():
		case <-ctx.Done():
			b.Fatal("no connection within 20 s")
		}
	}
	return inviter, joiner
}
