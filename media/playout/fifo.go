package playout

import "math"

// The decoded side of the playout: a FIFO of mono samples between the
// decoder and the speaker, which keeps some of what was already played so
// that a slice of audio can be repeated, and the splices that shorten or
// lengthen the audio it holds without a click.

const (
	// xfade is the length of every cross-fade, 5 ms.
	xfade = 240
	// minSplice and maxSplice bound how much one drop or insert changes
	// the buffered audio: 5 to 15 ms, so that at least one pitch period of
	// most voices fits and the splice can be made between two periods.
	minSplice = 240
	maxSplice = 720
	// historyKeep is how much played audio is kept for inserts.
	historyKeep = 2048
	// fifoSize bounds played history, the pending audio (under a Read of
	// at most maxChunk plus a splice's look-ahead plus one packet) and the
	// room for the next decode.
	fifoSize = 32768
)

// fadeIn is a raised-cosine ramp from 0 towards 1 over xfade samples. Its
// slope never exceeds π/2 of a linear ramp's, so fading between two signals
// of amplitude A adds at most π·A/xfade to the largest sample step.
var fadeIn = func() (w [xfade]float32) {
	for i := range w {
		w[i] = float32(0.5 - 0.5*math.Cos(math.Pi*(float64(i)+0.5)/xfade))
	}
	return w
}()

// crossfade writes to out a fade from from to to. out may be either input.
func crossfade(out, from, to []int16) {
	n := min(len(out), len(from), len(to), xfade)
	for i := range n {
		w := fadeIn[i]
		v := float32(from[i])*(1-w) + float32(to[i])*w
		out[i] = clamp16(v)
	}
}

func clamp16(v float32) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}

// fifo holds buf[hist:r] already played (newest last), buf[r:w] to play.
type fifo struct {
	buf     []int16
	hist, r int
	w       int
}

func newFIFO() fifo { return fifo{buf: make([]int16, fifoSize)} }

func (f *fifo) pending() int { return f.w - f.r }
func (f *fifo) history() int { return f.r - f.hist }

// reserve returns room for n samples at the write end, moving the contents
// to the front of the buffer when needed. Commit what was written with
// f.w += count.
func (f *fifo) reserve(n int) []int16 {
	if f.w+n > len(f.buf) {
		start := max(f.hist, f.r-historyKeep)
		copy(f.buf, f.buf[start:f.w])
		f.hist = 0
		f.r -= start
		f.w -= start
	}
	return f.buf[f.w : f.w+n]
}

// bestSplice returns the splice length in [lo, hi] at which the audio
// continues most like it does at the read position: compared with the
// audio l samples ahead (forward, for a drop) or l samples back (for an
// insert). For voiced speech and tones that is a whole number of pitch
// periods, so the cross-fade joins two nearly identical waveforms. Silence
// or noise, with nothing to match, gets hi. The search runs at half
// resolution and then refines around the best match.
func (f *fifo) bestSplice(lo, hi int, forward bool) int {
	ref := f.buf[f.r : f.r+xfade]
	best, bestScore := hi, 0.0
	score := func(l, step int) float64 {
		start := f.r - l
		if forward {
			start = f.r + l
		}
		seg := f.buf[start : start+xfade]
		var c, e int64
		for i := 0; i < xfade; i += step {
			c += int64(ref[i]) * int64(seg[i])
			e += int64(seg[i]) * int64(seg[i])
		}
		if c <= 0 || e == 0 {
			return 0
		}
		return float64(c) / math.Sqrt(float64(e))
	}
	for l := lo; l <= hi; l += 2 {
		if s := score(l, 2); s > bestScore {
			best, bestScore = l, s
		}
	}
	if bestScore == 0 {
		return hi
	}
	coarse := best
	bestScore = 0
	for l := max(lo, coarse-1); l <= min(hi, coarse+1); l++ {
		if s := score(l, 1); s > bestScore {
			best, bestScore = l, s
		}
	}
	return best
}

// drop removes l samples at the read position: the audio fades from where
// it is into where it will be l samples later. Needs pending() >= l+xfade.
func (f *fifo) drop(l int) {
	r := f.r
	crossfade(f.buf[r+l:r+l+xfade], f.buf[r:r+xfade], f.buf[r+l:r+l+xfade])
	// Keep the played history just before the new read position, so that
	// a later insert repeats what was really heard.
	h := min(f.r-f.hist, historyKeep)
	copy(f.buf[r+l-h:r+l], f.buf[r-h:r])
	f.r = r + l
	f.hist = f.r - h
}

// insert adds l samples at the read position by playing the last l samples
// again: the audio fades from where it is into where it was l samples ago,
// and carries on from there. Needs history() >= l, pending() >= xfade and
// l >= xfade.
func (f *fifo) insert(l int) {
	r := f.r
	var mix [xfade]int16
	crossfade(mix[:], f.buf[r:r+xfade], f.buf[r-l:r-l+xfade])
	h := min(f.r-f.hist, r-l, historyKeep)
	copy(f.buf[r-l-h:r-l], f.buf[r-h:r])
	copy(f.buf[r-l:], mix[:])
	f.r = r - l
	f.hist = f.r - h
}

// meanSquare returns the mean square of buf[from:to].
func (f *fifo) meanSquare(from, to int) float64 {
	if to <= from {
		return 0
	}
	var s float64
	for _, v := range f.buf[from:to] {
		s += float64(v) * float64(v)
	}
	return s / float64(to-from)
}
