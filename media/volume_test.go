package media

import (
	"context"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"peercall/media/aec/room"
	"peercall/media/mediatest"
	"peercall/media/opus"
)

// play runs pcm through g in 10 ms frames, as the speaker does, calling
// at(frame) before each frame.
func play(g *Gain, pcm []int16, at func(frame int)) []int16 {
	out := append([]int16(nil), pcm...)
	for f, i := 0, 0; i < len(out); f, i = f+1, i+OutputFrameSamples {
		if at != nil {
			at(f)
		}
		g.Apply(out[i:min(i+OutputFrameSamples, len(out))])
	}
	return out
}

func rmsOf(pcm []int16) float64 { return FrameLevel(pcm) }

func TestVolumeChangesTheLevelByItsDecibels(t *testing.T) {
	// Speech peaking at -12 dBFS: twice as loud still stays under the
	// soft limit, so every volume is a plain change of level.
	speech := mediatest.Speech(3, -12, 1)
	before := rmsOf(speech)
	for _, v := range []float64{0.25, 0.5, 1, 1.5, 2} {
		g := NewGain()
		g.SetVolume(v)
		out := play(g, speech, nil)
		// The first 20 ms ramp from 1 to the volume: measure after it.
		got := rmsOf(out[GainRamp:]) - rmsOf(speech[GainRamp:])
		want := 20 * math.Log10(v)
		if math.Abs(got-want) > 0.1 {
			t.Errorf("volume %.2f: the level changed by %.2f dB, want %.2f dB", v, got, want)
		}
	}
	g := NewGain()
	out := play(g, speech, nil)
	for i := range out {
		if out[i] != speech[i] {
			t.Fatalf("at volume 1 sample %d changed from %d to %d", i, speech[i], out[i])
		}
	}
	g.SetVolume(0)
	if l := rmsOf(play(g, speech, nil)[GainRamp:]); l > SilentLevel {
		t.Errorf("volume 0 plays at %.1f dBFS, want silence", l)
	}
	t.Logf("speech at %.1f dBFS", before)
}

func TestLoudSpeechAtTwiceTheVolumeIsLimitedSoftly(t *testing.T) {
	// Speech peaking at -1 dBFS, played twice as loud: without a limit
	// its peaks would clip hard at full scale.
	speech := mediatest.Speech(3, -1, 2)
	g := NewGain()
	g.SetVolume(MaxVolume)
	out := play(g, speech, nil)
	var peak int
	for _, s := range out[GainRamp:] {
		peak = max(peak, abs(int(s)))
	}
	if peak >= 32767 {
		t.Errorf("the peak reached full scale (%d): clipped", peak)
	}
	// Hard clipping flattens peaks into runs of equal samples.
	for i := GainRamp + 2; i < len(out); i++ {
		a := abs(int(out[i]))
		if float64(a) > LimitKnee*32768 && out[i] == out[i-1] && out[i] == out[i-2] {
			t.Fatalf("a flat top of three equal samples (%d) at %d: clipped", out[i], i)
		}
	}
	// Below the knee the sound is only scaled.
	for i := GainRamp; i < len(out); i++ {
		x := 2 * float64(speech[i])
		if math.Abs(x) < LimitKnee*32768-1 && math.Abs(float64(out[i])-x) > 1 {
			t.Fatalf("sample %d under the knee is %d, want %0.f", i, out[i], x)
		}
	}
	if got := rmsOf(out[GainRamp:]) - rmsOf(speech[GainRamp:]); got < 4.5 || got > 6.03 {
		t.Errorf("twice the volume raised the level by %.2f dB, want nearly 6 dB", got)
	}
	t.Logf("peak %d (%.2f dBFS), level +%.2f dB", peak, 20*math.Log10(float64(peak)/32768), rmsOf(out[GainRamp:])-rmsOf(speech[GainRamp:]))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// The volume turned from 2 to 0.1 and back in the middle of loud speech
// changes the sound no faster than the speech itself changes: no click.
func TestVolumeChangesWithoutAClick(t *testing.T) {
	speech := mediatest.Speech(4, -3, 3)
	// What the gain adds to a step between two samples, beyond the
	// speech's own step at the loudest volume: a ramp over GainRamp
	// samples adds at most its share of the change at full scale.
	bound := MaxVolume*32768.0/GainRamp + 2
	// The volume changes at frames that start on loud speech, where a
	// change with no ramp would click.
	volumes := []float64{2, 0.1, 1, 2, 0}
	changes := map[int]float64{}
	for f, last := 0, -100; f*OutputFrameSamples < len(speech) && len(changes) < len(volumes); f++ {
		if abs(int(speech[f*OutputFrameSamples])) > 8000 && f-last > 30 {
			changes[f] = volumes[len(changes)]
			last = f
		}
	}
	if len(changes) < len(volumes) {
		t.Fatalf("the speech has loud frame starts for %d changes only", len(changes))
	}
	check := func(name string, g applier) {
		out := append([]int16(nil), speech...)
		for f, i := 0, 0; i < len(out); f, i = f+1, i+OutputFrameSamples {
			if v, ok := changes[f]; ok {
				g.SetVolume(v)
			}
			g.Apply(out[i:min(i+OutputFrameSamples, len(out))])
		}
		var worst float64
		for i := 1; i < len(out); i++ {
			own := MaxVolume * math.Abs(float64(speech[i])-float64(speech[i-1]))
			worst = max(worst, math.Abs(float64(out[i])-float64(out[i-1]))-own)
		}
		if name == "ramped" && worst > bound {
			t.Errorf("a step %.0f larger than the speech's own between two samples, more than %.0f: a click", worst, bound)
		}
		if name == "switched" && worst <= bound {
			t.Errorf("the test cannot tell a click: a gain switched at once adds only %.0f (bound %.0f)", worst, bound)
		}
		t.Logf("%s: the gain adds at most %.0f to a step (bound %.0f)", name, worst, bound)
	}
	check("ramped", NewGain())
	check("switched", &switchedGain{g: 1})
}

type applier interface {
	SetVolume(float64)
	Apply([]int16)
}

// switchedGain changes its gain between two samples, as a volume with no
// ramp would.
type switchedGain struct{ g float64 }

func (s *switchedGain) SetVolume(v float64) { s.g = v }
func (s *switchedGain) Apply(pcm []int16) {
	for i, v := range pcm {
		pcm[i] = int16(min(max(math.Round(float64(v)*s.g), -32768), 32767))
	}
}

// A meter fed on a clock of its own.
func meterAt(start time.Time) (*LevelMeter, *time.Time) {
	m := NewLevelMeter()
	now := start
	m.now = func() time.Time { return now }
	return m, &now
}

func TestLevelMeterReadsLikeAVUMeter(t *testing.T) {
	m, now := meterAt(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	if l := m.Level(); l != SilentLevel {
		t.Fatalf("a meter that heard nothing reads %.1f dBFS", l)
	}
	feed := func(pcm []int16) {
		for i := 0; i+OutputFrameSamples <= len(pcm); i += OutputFrameSamples {
			*now = now.Add(10 * time.Millisecond)
			m.Measure(pcm[i : i+OutputFrameSamples])
		}
	}
	// A half-scale sine: -9.03 dBFS RMS, at once.
	sine := make([]int16, 48000/2)
	for i := range sine {
		sine[i] = int16(16384 * math.Sin(2*math.Pi*1000*float64(i)/48000))
	}
	feed(sine[:OutputFrameSamples])
	if l := m.Level(); math.Abs(l-(-9.03)) > 0.05 {
		t.Errorf("a half-scale sine reads %.2f dBFS, want -9.03", l)
	}
	// Then silence: the reading falls at MeterFall, not at once.
	feed(make([]int16, 48000/2))
	if l, want := m.Level(), -9.03-MeterFall/2; math.Abs(l-want) > 0.3 {
		t.Errorf("half a second after the sound stopped the meter reads %.1f dBFS, want %.1f", l, want)
	}
	// With no frames at all it keeps falling, to silence.
	*now = now.Add(10 * time.Second)
	if l := m.Level(); l != SilentLevel {
		t.Errorf("10 s after the last frame the meter reads %.1f dBFS, want %.0f", l, SilentLevel)
	}
	// Speech reads between its level and its peak, and it holds between
	// syllables rather than dropping to silence.
	speech := mediatest.Speech(3, -6, 4)
	var lows, sum float64
	var n int
	for i := 0; i+OutputFrameSamples <= len(speech); i += OutputFrameSamples {
		*now = now.Add(10 * time.Millisecond)
		m.Measure(speech[i : i+OutputFrameSamples])
		if i < 48000/2 {
			continue
		}
		l := m.Level()
		sum += l
		n++
		if FrameLevel(speech[i:i+OutputFrameSamples]) == SilentLevel && l > SilentLevel {
			lows++
		}
	}
	mean := sum / float64(n)
	if mean < FrameLevel(speech)-3 || mean > -6 {
		t.Errorf("speech at %.1f dBFS (peak -6) reads %.1f dBFS on average", FrameLevel(speech), mean)
	}
	if lows == 0 {
		t.Error("the meter dropped to silence in every gap between syllables")
	}
}

func TestMeterSeesWhatTheSpeakerPlaysAtItsVolume(t *testing.T) {
	sp := NewSpeaker()
	if l := sp.Level(); l != SilentLevel {
		t.Fatalf("a speaker with nothing to play reads %.1f dBFS", l)
	}
	// Pulling with no track plays silence, and the meter says so.
	pcm := make([]int16, OutputFrameSamples)
	sp.Pull(pcm)
	if sp.Level() != SilentLevel {
		t.Errorf("silence reads %.1f dBFS", sp.Level())
	}
	sp.SetVolume(5)
	if v := sp.Volume(); v != MaxVolume {
		t.Errorf("volume 5 is held at %.1f, want %.1f", v, MaxVolume)
	}
}

func TestSpeechDetector(t *testing.T) {
	quiet := mediatest.Noise(1, -65, 1)
	cases := []struct {
		name   string
		sound  []int16
		onset  time.Duration // where the speech starts; <0: no speech
		speech bool
	}{
		{"speech after a quiet room", append(quiet, mediatest.Speech(3, -10, 5)...), time.Second, true},
		{"soft speech after a quiet room", append(quiet, mediatest.Speech(3, -18, 6)...), time.Second, true},
		{"silence", make([]int16, 4*48000), -1, false},
		{"steady low noise", mediatest.Noise(4, -50, 2), -1, false},
		{"steady loud noise (a fan)", mediatest.Noise(4, -30, 3), -1, false},
		{"speech too soft to be heard", append(quiet, mediatest.Speech(3, -40, 7)...), -1, false},
	}
	for _, c := range cases {
		for _, frame := range []int{OutputFrameSamples, AudioFrameSamples} {
			d := NewSpeechDetector()
			var heard time.Duration = -1
			for i := 0; i+frame <= len(c.sound); i += frame {
				d.Push(c.sound[i : i+frame])
				if d.Speaking() && heard < 0 {
					heard = frameDuration(c.sound[:i+frame])
				}
			}
			switch {
			case c.speech && heard < 0:
				t.Errorf("%s, frames of %d: no speech heard", c.name, frame)
			case c.speech && heard-c.onset > 500*time.Millisecond:
				t.Errorf("%s, frames of %d: speech heard %v after it began, want within 0.5 s", c.name, frame, heard-c.onset)
			case c.speech && heard < c.onset:
				t.Errorf("%s, frames of %d: speech heard at %v, before it began", c.name, frame, heard)
			case !c.speech && heard >= 0:
				t.Errorf("%s, frames of %d: speech heard at %v", c.name, frame, heard)
			case c.speech:
				t.Logf("%s, frames of %d: heard %v after it began", c.name, frame, heard-c.onset)
			}
		}
	}
	// Speaking holds through the pause after speech, then ends.
	d := NewSpeechDetector()
	for _, part := range [][]int16{quiet, mediatest.Speech(2, -10, 8)} {
		for i := 0; i+OutputFrameSamples <= len(part); i += OutputFrameSamples {
			d.Push(part[i : i+OutputFrameSamples])
		}
	}
	silence := make([]int16, OutputFrameSamples)
	var stopped time.Duration
	for stopped = 0; d.Speaking() && stopped < 5*time.Second; stopped += 10 * time.Millisecond {
		d.Push(silence)
	}
	if stopped > 2*time.Second || stopped == 5*time.Second {
		t.Errorf("still speaking %v into the silence after speech", stopped)
	}
}

// The microphone muted in the sender: the peer gets silence, while the
// input's meter and speech detector still hear the person talking.
func TestMeteredInputMeasuresBeforeTheMute(t *testing.T) {
	speech := append(mediatest.Noise(0.5, -65, 9), mediatest.Speech(2, -8, 9)...)
	in := NewMeteredInput(&pcmInput{pcm: speech})
	dec, err := opus.NewDecoder(1)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var heard []int16
	pcm := make([]int16, AudioFrameSamples)
	s := NewAudioSender(in, func(b []byte, _ time.Duration) error {
		n, err := dec.Decode(b, pcm)
		if err != nil {
			return err
		}
		heard = append(heard, pcm[:n]...)
		return nil
	})
	s.SetMuted(true)
	spoke := false
	in.AudioInput.(*pcmInput).each = func() { spoke = spoke || in.Speaking() }
	if err := s.Run(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("the sender stopped with %v, want the end of the input", err)
	}
	if !spoke {
		t.Error("muted, the input's speech was not heard")
	}
	if l := in.Level(); l < -30 {
		t.Errorf("muted, the input's meter reads %.1f dBFS at the end of loud speech", l)
	}
	if len(heard) < len(speech)*9/10 {
		t.Fatalf("%d samples sent for %d captured", len(heard), len(speech))
	}
	if l := FrameLevel(heard); l > SilentLevel+10 {
		t.Errorf("muted, the peer hears %.1f dBFS, want silence", l)
	}
}

// pcmInput hands out pcm as fast as it is read, then io.EOF.
type pcmInput struct {
	pcm  []int16
	each func()
}

func (p *pcmInput) ReadFrame(_ context.Context, pcm []int16) error {
	if p.each != nil {
		p.each()
	}
	if len(p.pcm) < len(pcm) {
		return io.EOF
	}
	copy(pcm, p.pcm)
	p.pcm = p.pcm[len(pcm):]
	return nil
}

func (p *pcmInput) Close() error { return nil }
func (p *pcmInput) Name() string { return "pcm" }

// Sentences spoken by espeak-ng (as media/aec/room renders its talkers):
// the detector hears them within half a second of the first word, and
// the volume changes their level by its decibels.
func TestSpokenSentences(t *testing.T) {
	voices := room.TestVoices(t)
	var peak float64
	for _, v := range voices.Near {
		peak = max(peak, math.Abs(v))
	}
	quiet := mediatest.Noise(1, -65, 11)
	sound := append([]int16(nil), quiet...)
	for _, v := range voices.Near {
		sound = append(sound, int16(math.Round(v/peak*0.5*32767)))
	}
	// The first word: the first 10 ms frame above the quiet room.
	onset := -1
	for i := len(quiet); i+OutputFrameSamples <= len(sound); i += OutputFrameSamples {
		if FrameLevel(sound[i:i+OutputFrameSamples]) > -50 {
			onset = i
			break
		}
	}
	if onset < 0 {
		t.Fatal("the spoken sentences are silent")
	}
	d := NewSpeechDetector()
	heard := -1
	for i := 0; i+OutputFrameSamples <= len(sound) && heard < 0; i += OutputFrameSamples {
		d.Push(sound[i : i+OutputFrameSamples])
		if d.Speaking() {
			heard = i + OutputFrameSamples
		}
	}
	switch after := time.Duration(heard-onset) * time.Second / 48000; {
	case heard < 0:
		t.Error("no speech heard in spoken sentences")
	case heard < onset:
		t.Errorf("speech heard %v before the first word", -after)
	case after > 500*time.Millisecond:
		t.Errorf("speech heard %v after the first word, want within 0.5 s", after)
	default:
		t.Logf("speech heard %v after the first word", after)
	}

	speech := sound[len(quiet):]
	g := NewGain()
	g.SetVolume(0.5)
	out := play(g, speech, nil)
	if got := rmsOf(out[GainRamp:]) - rmsOf(speech[GainRamp:]); math.Abs(got-(-6.02)) > 0.1 {
		t.Errorf("half the volume changed spoken sentences by %.2f dB, want -6.02", got)
	}
}
