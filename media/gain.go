package media

import (
	"math"
	"sync/atomic"
)

// The volume of the other side's voice: a gain on the receive path,
// changed smoothly and kept from clipping hard.

// MaxVolume is the loudest volume: twice as loud as received (+6 dB).
const MaxVolume = 2.0

// GainRamp is how many samples a change of volume is spread over (20 ms
// at 48 kHz): a step in gain between two samples would click.
const GainRamp = 960

// LimitKnee is where the soft limit starts, as a fraction of full scale
// (about -3 dB of the peak): below it samples are only scaled; above it
// they bend smoothly towards full scale and never reach it.
const LimitKnee = 0.7

// Gain scales mono frames by a volume set from any goroutine. A change
// takes effect over GainRamp samples; with a volume above 1, peaks that
// would pass LimitKnee are bent by a soft limit instead of clipping. At a
// volume of exactly 1 the sound passes untouched. Apply is called from one
// goroutine at a time (the output's).
type Gain struct {
	target atomic.Uint64 // math.Float64bits of the volume asked for
	// The output's goroutine only:
	cur      float64 // the gain of the last sample
	rampTo   float64 // the target the current ramp leads to
	rampStep float64
	rampLeft int
}

// NewGain makes a gain at volume 1.
func NewGain() *Gain {
	g := &Gain{cur: 1, rampTo: 1}
	g.target.Store(math.Float64bits(1))
	return g
}

// SetVolume sets the volume, 0 (silent) to MaxVolume; values outside are
// held to that range.
func (g *Gain) SetVolume(v float64) {
	if math.IsNaN(v) {
		v = 1
	}
	g.target.Store(math.Float64bits(min(max(v, 0), MaxVolume)))
}

// Volume is the volume last set.
func (g *Gain) Volume() float64 { return math.Float64frombits(g.target.Load()) }

// Apply scales pcm in place.
func (g *Gain) Apply(pcm []int16) {
	target := g.Volume()
	if target != g.rampTo {
		g.rampTo = target
		g.rampLeft = GainRamp
		g.rampStep = (target - g.cur) / GainRamp
	}
	if g.rampLeft == 0 && g.cur == 1 {
		return
	}
	limit := g.cur > 1 || g.rampTo > 1
	for i, s := range pcm {
		if g.rampLeft > 0 {
			g.rampLeft--
			if g.rampLeft == 0 {
				g.cur = g.rampTo
			} else {
				g.cur += g.rampStep
			}
		}
		x := float64(s) / 32768 * g.cur
		if limit {
			x = softLimit(x)
		}
		pcm[i] = int16(math.Round(min(max(x*32768, -32768), 32767)))
	}
}

// softLimit leaves x alone up to LimitKnee and above it follows a tanh
// curve that meets the straight line with the same slope and approaches
// full scale without reaching it.
func softLimit(x float64) float64 {
	a := math.Abs(x)
	if a <= LimitKnee {
		return x
	}
	const room = 1 - LimitKnee
	// The limit approaches 32767/32768 of full scale, the most an int16
	// holds on the positive side.
	y := LimitKnee + room*math.Tanh((a-LimitKnee)/room)
	y = min(y, 32767.0/32768)
	return math.Copysign(y, x)
}
