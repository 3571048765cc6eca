package playout

// What the playout needs to know about an Opus packet without decoding it:
// how long it lasts (to size the concealment of a lost one) and whether it
// carries in-band FEC for the packet before it (to choose between FEC and
// plain concealment, and to count recoveries honestly). See RFC 6716.

// frameSamples returns the number of 48 kHz samples in each frame of an Opus
// packet with the given table-of-contents byte (RFC 6716 §3.1).
func frameSamples(toc byte) int {
	cfg := toc >> 3
	switch {
	case cfg < 12: // SILK-only: 10, 20, 40, 60 ms
		return [4]int{480, 960, 1920, 2880}[cfg&3]
	case cfg < 16: // hybrid: 10, 20 ms
		return [2]int{480, 960}[cfg&1]
	default: // CELT-only: 2.5, 5, 10, 20 ms
		return [4]int{120, 240, 480, 960}[cfg&3]
	}
}

// packetSamples returns the duration of an Opus packet in 48 kHz samples, or
// 0 if it is empty or malformed.
func packetSamples(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	var frames int
	switch p[0] & 3 {
	case 0:
		frames = 1
	case 1, 2:
		frames = 2
	default:
		if len(p) < 2 {
			return 0
		}
		frames = int(p[1] & 0x3f)
	}
	n := frames * frameSamples(p[0])
	if n == 0 || n > maxPacketSamples {
		return 0
	}
	return n
}

// hasFEC reports whether an Opus packet carries in-band FEC (SILK "LBRR"
// data) for the frame before it.
//
// The SILK layer of a packet's first frame starts with one voice-activity
// flag per 20 ms SILK frame followed by the LBRR flag, for the mid channel
// and then (stereo) for the side channel. Each flag is range coded with
// probability one half, and the range coder starts at a power of two, so
// the first eight such flags are exactly the leading bits of the frame's
// first byte. CELT-only packets have no SILK layer and so no FEC.
func hasFEC(p []byte) bool {
	if len(p) < 2 {
		return false
	}
	toc := p[0]
	cfg := toc >> 3
	if cfg >= 16 {
		return false
	}
	var frame []byte
	switch toc & 3 {
	case 0, 1:
		frame = p[1:]
	case 2:
		n, off := int(p[1]), 2
		if n >= 252 {
			if len(p) < 3 {
				return false
			}
			n += 4 * int(p[2])
			off = 3
		}
		if n == 0 || off > len(p) {
			return false
		}
		frame = p[off:]
	default:
		return false // code 3 (several frames, optional padding): not used by Peercall
	}
	if len(frame) == 0 {
		return false
	}
	silkFrames := 1 // 10 and 20 ms
	if cfg < 12 && cfg&3 >= 2 {
		silkFrames = int(cfg & 3) // 40 ms: 2, 60 ms: 3
	}
	b := frame[0]
	if b>>(7-silkFrames)&1 == 1 {
		return true
	}
	if toc&4 != 0 { // stereo: the side channel's flags follow the mid's
		bit := 2*silkFrames + 1
		return bit <= 7 && b>>(7-bit)&1 == 1
	}
	return false
}
