package media

import (
	"math"
	"sync"
	"time"

	"peercall/media/opus"
)

// Levels of the sound a call plays and captures, for the window's meters
// and its "You are muted" hint. Levels are RMS in dBFS (0 dBFS is the RMS
// of a full-scale square wave, as tone.Level has it: a full-scale sine
// reads -3 dBFS).

// SilentLevel is the lowest level a meter reports, in dBFS: digital
// silence, or no sound for a while.
const SilentLevel = -100.0

// MeterFall is how fast a meter's reading falls once the sound is quieter,
// in dB a second: a loud syllable stays readable for a moment, like the
// needle of a VU meter, while a louder one shows at once.
const MeterFall = 24.0

// LevelMeter follows the level of a stream of frames: each frame's RMS,
// rising at once and falling at MeterFall. Measure is called on the audio
// path with every frame; Level from any goroutine. Measuring a frame costs
// one pass over its samples and no allocation.
type LevelMeter struct {
	mu    sync.Mutex
	level float64   // reading at at
	at    time.Time // when the last frame was measured
	now   func() time.Time
}

// NewLevelMeter makes a meter that reads SilentLevel.
func NewLevelMeter() *LevelMeter {
	return &LevelMeter{level: SilentLevel, now: time.Now}
}

// FrameLevel is the RMS level of pcm in dBFS, no lower than SilentLevel.
func FrameLevel(pcm []int16) float64 {
	if len(pcm) == 0 {
		return SilentLevel
	}
	var sum float64
	for _, s := range pcm {
		f := float64(s)
		sum += f * f
	}
	if sum == 0 {
		return SilentLevel
	}
	return max(10*math.Log10(sum/float64(len(pcm))/(32768*32768)), SilentLevel)
}

// frameDuration is how long pcm lasts, mono at 48 kHz.
func frameDuration(pcm []int16) time.Duration {
	return time.Duration(len(pcm)) * time.Second / opus.SampleRate
}

// Measure takes the next frame of mono 48 kHz audio.
func (m *LevelMeter) Measure(pcm []int16) {
	l := FrameLevel(pcm)
	now := m.now()
	m.mu.Lock()
	// The reading falls over the frame's own length, so that a stream of
	// frames falls at MeterFall whatever the size of its frames.
	fallen := fall(m.level, frameDuration(pcm))
	if !m.at.IsZero() {
		fallen = max(fallen, fall(m.level, now.Sub(m.at)))
	}
	m.level = max(l, fallen)
	m.at = now
	m.mu.Unlock()
}

// Level is the meter's reading now, in dBFS: it keeps falling when no
// frames come (a stream that stopped reads as silence soon after).
func (m *LevelMeter) Level() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at.IsZero() {
		return m.level
	}
	return fall(m.level, m.now().Sub(m.at))
}

// fall is a reading d later, with no louder sound in between.
func fall(level float64, d time.Duration) float64 {
	if d <= 0 {
		return level
	}
	return max(level-MeterFall*d.Seconds(), SilentLevel)
}

// Speech detection, for the hint that tells a person they are muted while
// they talk.
const (
	// SpeechLevel is the level above which a frame may be speech.
	SpeechLevel = -40.0
	// SpeechFor is how long a run of speech-level sound — syllables with
	// no pause of speechPause between them — makes the detector say
	// someone is speaking.
	SpeechFor = 300 * time.Millisecond
	// speechPause is the pause that starts the count again: the gaps
	// between syllables are shorter.
	speechPause = 200 * time.Millisecond
	// speechHold is how long the detector keeps saying "speaking" after
	// the last speech-level frame.
	speechHold = time.Second
	// speechSwing is the least difference between the loudest and the
	// quietest frame of the last speechWindow for the sound to be speech:
	// syllables come and go, a fan or a hum is steady.
	speechSwing  = 6.0
	speechWindow = 500 * time.Millisecond
)

// SpeechDetector says whether the sound it is given is someone speaking:
// frames above SpeechLevel for at least SpeechFor, with no pause of
// speechPause between them, rising and falling the way syllables do (steady noise,
// however loud, is not speech), held for a second after the last loud
// frame. Push is called on the audio path; Speaking from any goroutine.
type SpeechDetector struct {
	mu       sync.Mutex
	run      time.Duration // the current run of speech-level sound
	quiet    time.Duration // since the last speech-level frame
	held     time.Duration // how long "speaking" still holds
	speaking bool
	// The last speechWindow of frame levels, for their swing: a ring of
	// n frames from first.
	levels   [speechFrames]float64
	durs     [speechFrames]time.Duration
	first, n int
	span     time.Duration
}

// speechFrames bounds the window: 500 ms of 10 ms frames, with room.
const speechFrames = 64

// NewSpeechDetector makes a detector that has heard nothing.
func NewSpeechDetector() *SpeechDetector { return &SpeechDetector{quiet: speechPause} }

// Push takes the next frame of mono 48 kHz audio.
func (s *SpeechDetector) Push(pcm []int16) {
	l, d := FrameLevel(pcm), frameDuration(pcm)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == speechFrames {
		s.drop()
	}
	i := (s.first + s.n) % speechFrames
	s.levels[i], s.durs[i] = l, d
	s.n++
	s.span += d
	for s.n > 1 && s.span-s.durs[s.first] >= speechWindow {
		s.drop()
	}
	// A run of speech lasts from its first speech-level frame to a
	// pause, the short gaps between syllables included.
	if l > SpeechLevel {
		s.run += d
		s.quiet = 0
	} else {
		s.quiet += d
		if s.quiet >= speechPause {
			s.run = 0
		} else if s.run > 0 {
			s.run += d
		}
	}
	if s.run >= SpeechFor && s.quiet == 0 && s.swing() >= speechSwing {
		s.speaking, s.held = true, speechHold
	} else if s.speaking {
		if s.held -= d; s.held <= 0 {
			s.speaking = false
		}
	}
}

// drop forgets the window's oldest frame.
func (s *SpeechDetector) drop() {
	s.span -= s.durs[s.first]
	s.first = (s.first + 1) % speechFrames
	s.n--
}

// swing is the difference between the loudest and the quietest frame of
// the window.
func (s *SpeechDetector) swing() float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for k := range s.n {
		l := s.levels[(s.first+k)%speechFrames]
		lo, hi = min(lo, l), max(hi, l)
	}
	return hi - lo
}

// Speaking reports whether the sound is speech, now or within the last
// second.
func (s *SpeechDetector) Speaking() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speaking
}
