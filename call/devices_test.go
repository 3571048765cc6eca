package call

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"

	"peercall/media"
	"peercall/media/mediatest"
	"peercall/media/sound"
	"peercall/media/sound/soundtest"
)

// cameras is a machine's cameras by id, each of which can be unplugged
// and plugged in again.
type cameras struct {
	mu      sync.Mutex
	sizes   map[string][2]int
	gone    map[string]bool
	current map[string]*mediatest.Camera
}

func newCameras(sizes map[string][2]int) *cameras {
	return &cameras{sizes: sizes, gone: map[string]bool{}, current: map[string]*mediatest.Camera{}}
}

func (cs *cameras) open(id string, _, _, fps int) (media.VideoSource, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	size, ok := cs.sizes[id]
	if !ok || cs.gone[id] {
		return nil, errors.New("no such device")
	}
	cam := mediatest.NewCamera(size[0], size[1], fps)
	cs.current[id] = cam
	return cam, nil
}

// unplug makes the camera's reads fail and its opening fail until plug.
func (cs *cameras) unplug(id string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.gone[id] = true
	if cam := cs.current[id]; cam != nil {
		cam.Fail()
	}
}

func (cs *cameras) plug(id string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.gone[id] = false
}

func (cs *cameras) camera(id string) *mediatest.Camera {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.current[id]
}

// receivesWidth waits until the other side's pictures are w wide and
// carry the camera's pattern.
func receivesWidth(t *testing.T, what string, got *pictures, w int) {
	t.Helper()
	eventually(t, what, waitLong, func() bool {
		_, img := got.snapshot()
		return img != nil && img.Rect.Dx() == w && showsPattern(img)
	})
}

// Another camera chosen in the middle of a call: the other side sees its
// picture in the same stream, with nothing to do; the first camera is
// released.
func TestCameraChangedMidCall(t *testing.T) {
	defer test.CheckRoutines(t)()
	cams := newCameras(map[string][2]int{"front": {testW, testH}, "usb": {160, 120}})
	o := baseOptions(t, "camera")
	o.Video, o.Camera, o.OpenCamera = VideoCamera, "front", cams.open
	a := open(t, o)
	b, got := openPeer(t)
	connect(t, a, b)
	receivesWidth(t, "the first camera's picture on the other side", got, testW)
	live, err := a.SetCamera("usb")
	if !live || err != nil {
		t.Fatalf("SetCamera: live %v, err %v", live, err)
	}
	receivesWidth(t, "the second camera's picture on the other side", got, 160)
	if !cams.camera("front").Closed() {
		t.Error("the first camera is still held")
	}
	if cam, _, _ := a.Devices(); cam != "usb" {
		t.Errorf("Devices says the camera is %q", cam)
	}
	if m := a.Missing(); m.Camera != nil {
		t.Errorf("camera missing after the change: %v", m.Camera)
	}
	// A camera that is not there: the camera-off picture, and this side
	// is told why; choosing a working one brings the picture back.
	if live, err := a.SetCamera("gone"); live || err == nil {
		t.Errorf("a camera that is not there: live %v, err %v", live, err)
	}
	seesCameraOff(t, b, got)
	if a.Missing().Camera == nil {
		t.Error("the missing camera is not reported")
	}
	a.SetCamera("front")
	receivesWidth(t, "the first camera's picture again", got, testW)
	closeBoth(t, a, b)
}

// A camera unplugged mid-call gives the camera-off picture; plugged in
// again, it comes back by itself.
func TestCameraPluggedBackIn(t *testing.T) {
	defer test.CheckRoutines(t)()
	cams := newCameras(map[string][2]int{"front": {testW, testH}})
	o := baseOptions(t, "camera")
	o.Video, o.Camera, o.OpenCamera = VideoCamera, "front", cams.open
	a := open(t, o)
	b, got := openPeer(t)
	connect(t, a, b)
	receivesWidth(t, "the camera's picture on the other side", got, testW)
	cams.unplug("front")
	seesCameraOff(t, b, got)
	eventually(t, "this side told the camera is missing", waitLong, func() bool {
		return errors.Is(a.Missing().Camera, media.ErrNoCamera)
	})
	cams.plug("front")
	receivesWidth(t, "the camera's picture back on the other side", got, testW)
	eventually(t, "the other side told the camera is on", waitLong, func() bool {
		pm := b.Session().PeerMedia()
		return pm.Known && !pm.CameraOff
	})
	if a.Missing().Camera != nil {
		t.Errorf("camera still reported missing: %v", a.Missing().Camera)
	}
	closeBoth(t, a, b)
}

// level follows how loud a sound device's capture is: the mean square of
// the last half second.
type level struct {
	mu  sync.Mutex
	sum []float64
}

func (l *level) add(frame []int16) {
	var s float64
	for _, v := range frame {
		s += float64(v) * float64(v)
	}
	l.mu.Lock()
	l.sum = append(l.sum, s/float64(max(len(frame), 1)))
	if len(l.sum) > 50 {
		l.sum = l.sum[len(l.sum)-50:]
	}
	l.mu.Unlock()
}

// loud reports whether the last half second was well above silence (a
// tone at the other side's level is about 60 dB above it).
func (l *level) loud() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sum) < 50 {
		return false
	}
	var s float64
	for _, v := range l.sum {
		s += v
	}
	return s/float64(len(l.sum)) > 1e4 // RMS over 100 of 32767: -50 dBFS
}

// deviceNamed is the id of the device whose name holds name.
func deviceNamed(t *testing.T, list func() ([]sound.Device, error), name string) string {
	t.Helper()
	devs, err := list()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if strings.Contains(d.Name, name) {
			return d.ID
		}
	}
	t.Fatalf("no device named %q in %v", name, devs)
	return ""
}

// Two speakers (two null sinks, "Left" and "Right") and their monitors as
// microphones: the speaker changed mid-call plays the other side's sound
// from then on, the one before falls silent; a microphone changed mid-call
// is what the other side hears.
func TestSoundDevicesChangedMidCall(t *testing.T) {
	soundtest.Start(t, []string{
		"module-null-sink sink_name=left sink_properties=device.description=Left",
		"module-null-sink sink_name=right sink_properties=device.description=Right",
	}).Use(t)
	defer test.CheckRoutines(t)()
	sys, err := sound.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	left := deviceNamed(t, sys.Speakers, "Left")
	right := deviceNamed(t, sys.Speakers, "Right")
	leftMon := deviceNamed(t, sys.Microphones, "Monitor of Left")
	rightMon := deviceNamed(t, sys.Microphones, "Monitor of Right")
	var onLeft, onRight level
	for _, m := range []struct {
		id string
		l  *level
	}{{leftMon, &onLeft}, {rightMon, &onRight}} {
		st, err := sys.OpenCapture(m.id, m.l.add)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
	}

	// This side: speaker Left, microphone the monitor of Right (silent
	// until something plays there). The other side sends a tone and
	// writes what it hears to a file.
	o := baseOptions(t, "sound")
	o.Audio, o.Output, o.Microphone, o.Speaker = AudioMic, OutputSpeaker, rightMon, left
	a := open(t, o)
	heard := filepath.Join(t.TempDir(), "heard.wav")
	po := baseOptions(t, "peer")
	po.Audio, po.Output, po.OutputFile = AudioTone, OutputFile, heard
	b := open(t, po)
	connect(t, a, b)
	eventually(t, "the other side's tone on the Left speaker", waitLong, onLeft.loud)
	if onRight.loud() {
		t.Fatal("sound on the Right speaker before it was chosen")
	}

	if err := a.SetSpeaker(right); err != nil {
		t.Fatalf("SetSpeaker: %v", err)
	}
	eventually(t, "the tone on the Right speaker after the change", waitLong, onRight.loud)
	eventually(t, "the Left speaker silent after the change", waitLong, func() bool { return !onLeft.loud() })
	if _, _, sp := a.Devices(); sp != right {
		t.Errorf("Devices says the speaker is %q", sp)
	}
	if m := a.Missing(); len(m.Names()) != 0 {
		t.Errorf("missing %v after changing the speaker", m.Names())
	}

	// Now the microphone: the monitor of Right hears the tone played
	// there, so the other side hears its own tone back through it.
	if err := a.SetMicrophone(leftMon); err != nil {
		t.Fatalf("SetMicrophone: %v", err)
	}
	if _, mic, _ := a.Devices(); mic != leftMon {
		t.Errorf("Devices says the microphone is %q", mic)
	}
	if err := a.SetMicrophone("not-a-device"); err == nil {
		t.Error("a microphone that is not there was accepted")
	}
	if a.Missing().Microphone == nil {
		t.Error("the missing microphone is not reported")
	}
	eventually(t, "the other side told no sound comes", waitLong, func() bool {
		return b.Session().PeerMedia().AudioMuted
	})
	if err := a.SetMicrophone(rightMon); err != nil {
		t.Fatalf("SetMicrophone back: %v", err)
	}
	eventually(t, "the other side told sound comes again", waitLong, func() bool {
		pm := b.Session().PeerMedia()
		return pm.Known && !pm.AudioMuted
	})
	time.Sleep(2 * time.Second) // the other side hears a while
	closeBoth(t, a, b)
	// What the other side heard last: its own tone, back through the
	// microphone chosen last.
	data, err := os.ReadFile(heard)
	if err != nil || len(data) < 44+2*48000 {
		t.Fatalf("the other side's recording: %d bytes, %v", len(data), err)
	}
	pcm := data[len(data)-2*24000:] // the last half second
	var sum float64
	for i := 0; i+1 < len(pcm); i += 2 {
		v := float64(int16(uint16(pcm[i]) | uint16(pcm[i+1])<<8))
		sum += v * v
	}
	if ms := sum / float64(len(pcm)/2); ms < 1e4 {
		t.Errorf("the other side heard nothing through the new microphone (mean square %.0f)", ms)
	}
}
