package call

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"peercall/media"
	"peercall/media/mediatest"
)

// audioReceived is how many audio packets c has received.
func audioReceived(c *Call) uint64 { return c.Session().Stats().AudioPacketsReceived }

// waitPackets waits until c has received n more audio packets (20 ms of
// sound each).
func waitPackets(t *testing.T, c *Call, n uint64, what string) {
	t.Helper()
	from := audioReceived(c)
	eventually(t, what, waitLong, func() bool { return audioReceived(c) >= from+n })
}

// windowLevels is the level of each 100 ms of pcm, in dBFS.
func windowLevels(pcm []int16) []float64 {
	var out []float64
	for i := 0; i+4800 <= len(pcm); i += 4800 {
		out = append(out, media.FrameLevel(pcm[i:i+4800]))
	}
	return out
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

// Turning the volume down to a quarter in the middle of a call makes what
// is played 12 dB quieter: in the sound written out, and on the meter.
func TestVolumeLowersWhatIsPlayed(t *testing.T) {
	a, _ := openPeer(t) // sends the tone
	wav := filepath.Join(t.TempDir(), "heard.wav")
	o := baseOptions(t, "listener")
	o.Output, o.OutputFile = OutputFile, wav
	b := open(t, o)
	if v := b.Volume(); v != 1 {
		t.Fatalf("a new call plays at volume %.2f, want 1", v)
	}
	connect(t, a, b)
	eventually(t, "the tone on the listener's meter", waitLong, func() bool { return b.Levels().Remote > -30 })
	waitPackets(t, b, 75, "1.5 s of sound at full volume")
	loudMeter := b.Levels().Remote
	b.SetVolume(0.25)
	waitPackets(t, b, 100, "2 s of sound at a quarter of the volume")
	quietMeter := b.Levels().Remote
	closeBoth(t, b, a)

	pcm, err := media.ReadWAV(wav)
	if err != nil {
		t.Fatal(err)
	}
	levels := windowLevels(pcm)
	first := slices.IndexFunc(levels, func(l float64) bool { return l > -40 })
	if first < 0 || len(levels)-first < 30 {
		t.Fatalf("%d windows of 100 ms, the tone from window %d: too little was played", len(levels), first)
	}
	// A second after the tone began, and a second before the end.
	loud := median(levels[first+2 : first+12])
	quiet := median(levels[len(levels)-12 : len(levels)-2])
	t.Logf("played: %.1f dBFS at volume 1, %.1f dBFS at 0.25 (meter %.1f → %.1f)", loud, quiet, loudMeter, quietMeter)
	want := 20 * math.Log10(0.25)
	if d := quiet - loud; math.Abs(d-want) > 1 {
		t.Errorf("a quarter of the volume changed what was played by %.1f dB, want %.1f", d, want)
	}
	if d := quietMeter - loudMeter; math.Abs(d-want) > 2 {
		t.Errorf("the meter of what is played moved by %.1f dB, want %.1f", d, want)
	}
}

// Muted, a person who talks is heard by their own call's speech detector
// and meter, and the other side gets silence; unmuted, it gets the voice.
func TestMutedSpeechIsSeenButNotSent(t *testing.T) {
	dir := t.TempDir()
	talk := filepath.Join(dir, "talk.wav")
	voice := append(mediatest.Noise(1, -65, 1), mediatest.Speech(5, -6, 1)...)
	if err := mediatest.WriteWAV(talk, voice); err != nil {
		t.Fatal(err)
	}
	o := baseOptions(t, "talker")
	o.Audio, o.WAVFile = AudioWAV, talk
	a := open(t, o)
	a.SetMuted(true)
	b := open(t, baseOptions(t, "listener"))
	connect(t, a, b)
	eventually(t, "the talker's call hears speech while muted", waitLong, func() bool { return a.Levels().Speaking })
	if l := a.Levels().Local; l < -40 {
		t.Errorf("muted and talking, the local meter reads %.1f dBFS", l)
	}
	// Two seconds of what the muted talker sends: all silence.
	loudest := media.SilentLevel
	from := audioReceived(b)
	eventually(t, "2 s of the muted talker's sound", waitLong, func() bool {
		loudest = max(loudest, b.Levels().Remote)
		return audioReceived(b) >= from+100
	})
	if loudest > -70 {
		t.Errorf("muted, the other side played sound at %.1f dBFS", loudest)
	}
	a.SetMuted(false)
	eventually(t, "the voice on the other side once unmuted", waitLong, func() bool { return b.Levels().Remote > -40 })
	t.Logf("muted: the other side's loudest %.1f dBFS; unmuted: %.1f dBFS", loudest, b.Levels().Remote)
}
