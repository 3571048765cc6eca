package media

import "context"

// MeteredInput measures what an input captures — its level and whether
// it is speech — before the sender sees it, so that a microphone muted in
// the sender (which then sends silence) is still measured: the window can
// tell a person they are talking while muted.
type MeteredInput struct {
	AudioInput
	meter  *LevelMeter
	speech *SpeechDetector
}

// NewMeteredInput wraps in.
func NewMeteredInput(in AudioInput) *MeteredInput {
	return &MeteredInput{AudioInput: in, meter: NewLevelMeter(), speech: NewSpeechDetector()}
}

// ReadFrame reads the next frame from the input and measures it.
func (m *MeteredInput) ReadFrame(ctx context.Context, pcm []int16) error {
	if err := m.AudioInput.ReadFrame(ctx, pcm); err != nil {
		return err
	}
	m.meter.Measure(pcm)
	m.speech.Push(pcm)
	return nil
}

// Level is the input's level as a meter reads it (dBFS).
func (m *MeteredInput) Level() float64 { return m.meter.Level() }

// Speaking reports whether the input hears someone speaking
// (SpeechDetector).
func (m *MeteredInput) Speaking() bool { return m.speech.Speaking() }
