package media

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"peercall/media/opus"
	"peercall/media/tone"
)

// AudioFrame is the length of one Opus packet Peercall sends.
const AudioFrame = 20 * time.Millisecond

const audioFrameSamples = opus.SampleRate / int(time.Second/AudioFrame)

// ToneSender sends a continuous 440 Hz tone as Opus, one packet every 20 ms:
// the audio of headless calls and tests.
type ToneSender struct {
	write SampleWriter
	sent  atomic.Uint64
}

// NewToneSender prepares the loop; Run starts it.
func NewToneSender(write SampleWriter) *ToneSender {
	return &ToneSender{write: write}
}

// PacketsSent counts packets written so far.
func (t *ToneSender) PacketsSent() uint64 { return t.sent.Load() }

// Run sends until ctx ends or a write fails.
func (t *ToneSender) Run(ctx context.Context) error {
	enc, err := opus.NewEncoder(opus.EncoderConfig{Channels: 1, FEC: true, DTX: true})
	if err != nil {
		return err
	}
	defer enc.Close()
	gen := tone.NewGenerator(440, 0.3, 1)
	pcm := make([]int16, audioFrameSamples)
	out := make([]byte, 1500)
	ticker := time.NewTicker(AudioFrame)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		gen.Fill(pcm)
		n, err := enc.Encode(pcm, out)
		if err != nil {
			return err
		}
		if err := t.write(out[:n], AudioFrame); err == nil {
			t.sent.Add(1)
		}
	}
}

// AudioStats is what the audio receive path has seen.
type AudioStats struct {
	PacketsReceived uint64
	PacketsDecoded  uint64
	LevelDBFS       float64 // level of the last decoded packet
}

// AudioReceiver decodes a remote Opus track. Push is called from a single
// goroutine (the track's reader).
type AudioReceiver struct {
	dec *opus.Decoder
	pcm []int16

	mu    sync.Mutex
	stats AudioStats
}

// NewAudioReceiver makes a receiver for a mono or stereo Opus stream.
func NewAudioReceiver() (*AudioReceiver, error) {
	dec, err := opus.NewDecoder(2)
	if err != nil {
		return nil, err
	}
	return &AudioReceiver{dec: dec, pcm: make([]int16, 2*opus.SampleRate*120/1000)}, nil
}

// Push decodes one packet.
func (a *AudioReceiver) Push(pkt *rtp.Packet) {
	n, err := a.dec.Decode(pkt.Payload, a.pcm)
	a.mu.Lock()
	a.stats.PacketsReceived++
	if err == nil && n > 0 {
		a.stats.PacketsDecoded++
		a.stats.LevelDBFS = tone.Level(a.pcm[:2*n])
	}
	a.mu.Unlock()
}

// Stats returns a snapshot; safe from any goroutine.
func (a *AudioReceiver) Stats() AudioStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Close releases the decoder. Call it after the last Push.
func (a *AudioReceiver) Close() error { return a.dec.Close() }
