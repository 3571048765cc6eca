package call

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"

	"peercall/media"
	"peercall/media/mediatest"
	"peercall/media/pattern"
	"peercall/media/sound"
	"peercall/media/sound/soundtest"
	"peercall/rtc"
)

// The tests here run two calls on loopback, one of them on a machine whose
// devices are missing, fail or go away, and check what the people on both
// sides would notice: the call connects and goes on, the other side sees
// the camera-off picture (and hears that no sound comes), this side is
// told what is missing, and nothing crashes or stays behind.

const (
	testW, testH = 320, 240
	testFPS      = 15
	waitLong     = 20 * time.Second
)

// pictures records what a video sink receives: how many pictures, and the
// last one.
type pictures struct {
	mu    sync.Mutex
	count int
	last  *image.YCbCr
}

func (p *pictures) WriteFrame(img *image.YCbCr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	if p.last == nil || p.last.Rect != img.Rect {
		p.last = image.NewYCbCr(img.Rect, image.YCbCrSubsampleRatio420)
	}
	for y := 0; y < img.Rect.Dy(); y++ {
		copy(p.last.Y[y*p.last.YStride:][:img.Rect.Dx()], img.Y[y*img.YStride:])
	}
}

// snapshot returns the count and a copy of the last picture's luma.
func (p *pictures) snapshot() (int, *image.YCbCr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		return p.count, nil
	}
	c := *p.last
	c.Y = slices.Clone(p.last.Y)
	return p.count, &c
}

// showsCameraOff reports whether img is the camera-off picture: its luma
// within 30 dB PSNR of the one sent.
func showsCameraOff(img *image.YCbCr) (bool, float64) {
	ref := media.OffPicture(img.Rect.Dx(), img.Rect.Dy())
	var sum float64
	n := 0
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			d := float64(img.Y[y*img.YStride+x]) - float64(ref.Y[y*ref.YStride+x])
			sum += d * d
			n++
		}
	}
	mse := sum / float64(n)
	if mse == 0 {
		return true, math.Inf(1)
	}
	psnr := 10 * math.Log10(255*255/mse)
	return psnr >= 30, psnr
}

// showsPattern reports whether img is the test pattern (its time stamp
// reads back).
func showsPattern(img *image.YCbCr) bool {
	_, ok := pattern.ReadStamp(img)
	return ok
}

// baseOptions are a call on loopback with no STUN server, sending the
// pattern and no sound: the side that is not under test.
func baseOptions(t *testing.T, name string) Options {
	return Options{
		Video: VideoPattern, Width: testW, Height: testH, FPS: testFPS,
		Audio: AudioNone, Output: OutputNone,
		STUN: []string{NoSTUN}, Interfaces: []string{"lo"},
		Logger: testLogger(t, name),
	}
}

// open opens a call and closes it when the test ends.
func open(t *testing.T, o Options) *Call {
	t.Helper()
	c, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// openPeer opens the other side: the pattern and a tone, recording the
// pictures it receives.
func openPeer(t *testing.T) (*Call, *pictures) {
	got := &pictures{}
	o := baseOptions(t, "peer")
	o.Audio, o.VideoSink = AudioTone, got
	return open(t, o), got
}

// connect carries the codes between two calls, as two people would, and
// waits until both are connected.
func connect(t *testing.T, inviter, joiner *Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	inv, err := inviter.Session().Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := joiner.Session().Join(ctx, inv)
	if err != nil {
		t.Fatal(err)
	}
	if err := inviter.Session().AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Call{inviter, joiner} {
		select {
		case <-c.Session().Connected():
		case <-c.Session().Done():
			t.Fatalf("the call ended before it connected: %v", c.Session().Err())
		case <-ctx.Done():
			t.Fatal("not connected within 20 s")
		}
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seesCameraOff waits until the viewer's last picture is the camera-off
// picture and the other side has told it its camera is off.
func seesCameraOff(t *testing.T, viewer *Call, got *pictures) {
	t.Helper()
	var psnr float64
	eventually(t, "the camera-off picture on the other side", waitLong, func() bool {
		_, img := got.snapshot()
		if img == nil {
			return false
		}
		var ok bool
		ok, psnr = showsCameraOff(img)
		return ok
	})
	t.Logf("the other side sees the camera-off picture (%.1f dB PSNR)", psnr)
	eventually(t, "the other side told the camera is off", waitLong, func() bool {
		pm := viewer.Session().PeerMedia()
		return pm.Known && pm.CameraOff
	})
}

// keepsReceiving checks that pictures still arrive for a while: the call
// goes on.
func keepsReceiving(t *testing.T, got *pictures, c *Call) {
	t.Helper()
	before, _ := got.snapshot()
	eventually(t, "pictures still arriving", waitLong, func() bool {
		n, _ := got.snapshot()
		return n >= before+5
	})
	if st := c.Session().State(); st != rtc.StateConnected {
		t.Errorf("the call is %v, want connected", st)
	}
}

func noCameraOpener(err error) func(string, int, int, int) (media.VideoSource, error) {
	return func(string, int, int, int) (media.VideoSource, error) {
		// A nil camera of its concrete type, as a driver wrapper gives.
		var cam *media.CameraSource
		return cam, err
	}
}

// A computer with no camera, and one whose camera fails to open (busy in
// another app): the call goes on, the other side sees the camera-off
// picture, and this side is told the camera is missing.
func TestCameraMissingOrBusy(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"no camera", media.ErrNoCamera},
		{"camera busy", errors.New("open /dev/video0: device or resource busy")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer test.CheckRoutines(t)()
			o := baseOptions(t, "no-camera")
			o.Video, o.OpenCamera = VideoCamera, noCameraOpener(tc.err)
			a := open(t, o)
			b, got := openPeer(t)
			if m := a.Missing(); !errors.Is(m.Camera, media.ErrNoCamera) || !slices.Equal(m.Names(), []string{MissingCamera}) {
				t.Errorf("missing %v (%v), want the camera", m.Names(), m.Camera)
			}
			if a.CameraLive() {
				t.Error("a camera that is not there is live")
			}
			connect(t, a, b)
			seesCameraOff(t, b, got)
			keepsReceiving(t, got, b)
			closeBoth(t, a, b)
		})
	}
}

// closeBoth hangs up both calls, checking that closing reports nothing.
func closeBoth(t *testing.T, calls ...*Call) {
	t.Helper()
	for _, c := range calls {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
}

// A camera that fails mid-call (unplugged) and one that stops delivering
// (a driver that hangs): the other side first sees the camera's picture,
// then the camera-off picture; the call goes on; this side is told.
func TestCameraGoesAwayMidCall(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(*mediatest.Camera)
		want error
	}{
		{"fails", (*mediatest.Camera).Fail, media.ErrNoCamera},
		{"stops delivering", (*mediatest.Camera).Hang, media.ErrCameraSilent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer test.CheckRoutines(t)()
			cam := mediatest.NewCamera(testW, testH, testFPS)
			o := baseOptions(t, "camera")
			o.Video = VideoCamera
			o.OpenCamera = func(string, int, int, int) (media.VideoSource, error) { return cam, nil }
			a := open(t, o)
			b, got := openPeer(t)
			connect(t, a, b)
			eventually(t, "the camera's picture on the other side", waitLong, func() bool {
				_, img := got.snapshot()
				return img != nil && showsPattern(img)
			})
			if m := a.Missing(); m.Camera != nil {
				t.Fatalf("camera missing while it works: %v", m.Camera)
			}
			tc.stop(cam)
			eventually(t, "this side told the camera is missing", waitLong, func() bool {
				return errors.Is(a.Missing().Camera, tc.want)
			})
			seesCameraOff(t, b, got)
			keepsReceiving(t, got, b)
			closeBoth(t, a, b)
		})
	}
}

// No sound server at all: no microphone and no speaker, the call goes on
// with pictures, and the other side is told no sound comes.
func TestNoSoundServer(t *testing.T) {
	defer test.CheckRoutines(t)()
	o := baseOptions(t, "no-sound")
	o.Audio, o.Output, o.EchoCancel = AudioMic, OutputSpeaker, true
	o.OpenSound = func() (*sound.System, error) { return nil, sound.ErrNoSoundSystem }
	a := open(t, o)
	want := []string{MissingMicrophone, MissingSpeaker, MissingSoundServer}
	if got := a.Missing().Names(); !slices.Equal(got, want) {
		t.Errorf("missing %v, want %v", got, want)
	}
	b, got := openPeer(t)
	connect(t, a, b)
	keepsReceiving(t, got, b)
	eventually(t, "the other side told no sound comes", waitLong, func() bool {
		pm := b.Session().PeerMedia()
		return pm.Known && pm.AudioMuted
	})
	closeBoth(t, a, b)
}

// soundOptions are a call with the microphone (echo-cancelled) and the
// speaker.
func soundOptions(t *testing.T, name string) Options {
	o := baseOptions(t, name)
	o.Audio, o.Output, o.EchoCancel = AudioMic, OutputSpeaker, true
	return o
}

// The sound server dies in the middle of a call: the microphone and the
// speaker are reported gone, the other side is told no sound comes, and
// the pictures go on.
func TestSoundServerDiesMidCall(t *testing.T) {
	srv := soundtest.Start(t, soundtest.NullSink)
	srv.Use(t)
	defer test.CheckRoutines(t)()
	a := open(t, soundOptions(t, "sound"))
	if m := a.Missing(); len(m.Names()) != 0 {
		t.Fatalf("missing %v with a working sound server: %v %v", m.Names(), m.Microphone, m.Speaker)
	}
	b, got := openPeer(t)
	connect(t, a, b)
	// Sound opened and flows: the microphone's packets reach the other
	// side, and nothing is missing after the first seconds.
	eventually(t, "the microphone's sound at the other side", waitLong, func() bool {
		pm := b.Session().PeerMedia()
		return pm.Known && !pm.AudioMuted && b.Session().Stats().AudioPacketsReceived > 50
	})
	if m := a.Missing(); len(m.Names()) != 0 {
		t.Fatalf("missing %v before the server died: %v %v", m.Names(), m.Microphone, m.Speaker)
	}
	srv.Kill()
	eventually(t, "the microphone and speaker reported gone", waitLong, func() bool {
		m := a.Missing()
		return m.Microphone != nil && m.Speaker != nil
	})
	select {
	case <-a.Changed():
	default:
		t.Error("Changed did not tell of the devices going away")
	}
	eventually(t, "the other side told no sound comes", waitLong, func() bool {
		return b.Session().PeerMedia().AudioMuted
	})
	keepsReceiving(t, got, b)
	closeBoth(t, a, b)
}

// A sound server with no microphone and no speaker (no sound card): the
// call goes on, and both are reported missing, the server not.
func TestNoMicrophoneNoSpeaker(t *testing.T) {
	soundtest.Start(t, soundtest.NoDevices).Use(t)
	defer test.CheckRoutines(t)()
	a := open(t, soundOptions(t, "no-devices"))
	m := a.Missing()
	if !errors.Is(m.Microphone, sound.ErrNoMicrophone) || !errors.Is(m.Speaker, sound.ErrNoSpeaker) || m.SoundServer != nil {
		t.Errorf("missing %v: microphone %v, speaker %v, server %v", m.Names(), m.Microphone, m.Speaker, m.SoundServer)
	}
	b, got := openPeer(t)
	connect(t, a, b)
	keepsReceiving(t, got, b)
	closeBoth(t, a, b)
}

// Options that cannot work are refused before anything is opened; the
// defaults fill what is left out.
func TestOptions(t *testing.T) {
	notClip := filepath.Join(t.TempDir(), "photo.y4m")
	os.WriteFile(notClip, []byte("\xff\xd8\xff\xe0 a JPEG"), 0o644)
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"odd size", Options{Width: 641, Height: 480}, "even"},
		{"fps", Options{FPS: 500}, "frame rate"},
		{"video", Options{Video: "webcam"}, "camera, pattern or clip"},
		{"clip without name", Options{Video: VideoClip}, "file's name"},
		{"clip that is not one", Options{Video: VideoClip, ClipFile: notClip}, "not a 4:2:0 Y4M clip"},
		{"audio", Options{Audio: "radio"}, "mic, tone, none or wav"},
		{"wav without name", Options{Audio: AudioWAV}, "file's name"},
		{"file without name", Options{Output: OutputFile}, "file"},
		{"turn without password", Options{TURN: []string{"203.0.113.7:3478"}, TURNUser: "u"}, ErrTURNCredentials.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			err := o.check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	var o Options
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	if o.Video != VideoCamera || o.Audio != AudioMic || o.Output != OutputSpeaker || o.Width != 640 || o.Height != 480 || o.FPS != 30 {
		t.Errorf("defaults %+v", o)
	}

	// A clip's own size and rate replace the options'.
	clip := filepath.Join(t.TempDir(), "clip.y4m")
	os.WriteFile(clip, []byte("YUV4MPEG2 W32 H16 F15:1\nFRAME\n"+strings.Repeat("\x80", 32*16*3/2)), 0o644)
	o = Options{Video: VideoClip, ClipFile: clip, Width: 1280, Height: 720, FPS: 30}
	if err := o.check(); err != nil || o.Width != 32 || o.Height != 16 || o.FPS != 15 {
		t.Errorf("a 32x16 clip at 15 fps: %dx%d at %d (%v)", o.Width, o.Height, o.FPS, err)
	}
}

// The servers a session gathers with: the default STUN server unless told
// otherwise, "none" for none, TURN with its credentials.
func TestICEServers(t *testing.T) {
	if got := ICEServers(nil, nil, "", ""); len(got) != 1 || got[0].URLs[0] != DefaultSTUN {
		t.Errorf("default: %+v", got)
	}
	if got := ICEServers([]string{NoSTUN}, nil, "", ""); len(got) != 0 {
		t.Errorf("none: %+v", got)
	}
	got := ICEServers([]string{"198.51.100.7:3478"}, []string{"turn:203.0.113.9:3478"}, "u", "p")
	if len(got) != 2 || got[0].URLs[0] != "stun:198.51.100.7:3478" || got[1].URLs[0] != "turn:203.0.113.9:3478" ||
		got[1].Username != "u" || got[1].Credential != "p" {
		t.Errorf("servers %+v", got)
	}
}

// testLogger keeps a call's log and prints it when the test fails.
func testLogger(t *testing.T, name string) *slog.Logger {
	var mu sync.Mutex
	var buf strings.Builder
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("%s log:\n%s", name, buf.String())
			mu.Unlock()
		}
	})
	return slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// "No camera" chosen in the settings: the call starts with the camera off,
// nothing is missing, the other side sees the camera-off picture; turning
// the camera on during the call sends its picture.
func TestCameraOffByChoice(t *testing.T) {
	defer test.CheckRoutines(t)()
	cam := mediatest.NewCamera(testW, testH, testFPS)
	opened := 0
	o := baseOptions(t, "camera-off")
	o.Video, o.CameraOff = VideoCamera, true
	o.OpenCamera = func(string, int, int, int) (media.VideoSource, error) {
		opened++
		return cam, nil
	}
	a := open(t, o)
	if opened != 0 || len(a.Missing().Names()) != 0 || !a.CameraOff() {
		t.Fatalf("camera opened %d times, missing %v, off %v: want it off and nothing missing", opened, a.Missing().Names(), a.CameraOff())
	}
	b, got := openPeer(t)
	connect(t, a, b)
	seesCameraOff(t, b, got)
	if !a.SetCameraOff(false) || opened != 1 {
		t.Fatalf("the camera did not come on (opened %d times)", opened)
	}
	eventually(t, "the camera's picture on the other side", waitLong, func() bool {
		_, img := got.snapshot()
		return img != nil && showsPattern(img)
	})
	eventually(t, "the other side told the camera is on", waitLong, func() bool {
		return !b.Session().PeerMedia().CameraOff
	})
	closeBoth(t, a, b)
}
