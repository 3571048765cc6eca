package playout

import (
	"math"
	"slices"
	"testing"

	"peercall/media/opus"
	"peercall/media/tone"
)

func TestPacketSamples(t *testing.T) {
	toc := func(cfg, stereo, code byte) byte { return cfg<<3 | stereo<<2 | code }
	cases := []struct {
		p    []byte
		want int
	}{
		{nil, 0},
		{[]byte{toc(0, 0, 0)}, 480},           // SILK NB 10 ms
		{[]byte{toc(1, 0, 0), 0}, 960},        // SILK NB 20 ms
		{[]byte{toc(9, 0, 0), 0}, 960},        // SILK WB 20 ms
		{[]byte{toc(11, 1, 0), 0}, 2880},      // SILK WB 60 ms, stereo
		{[]byte{toc(15, 0, 0), 0}, 960},       // hybrid FB 20 ms
		{[]byte{toc(16, 0, 0), 0}, 120},       // CELT NB 2.5 ms
		{[]byte{toc(31, 0, 0), 0}, 960},       // CELT FB 20 ms
		{[]byte{toc(1, 0, 1), 0, 0}, 1920},    // two equal 20 ms frames
		{[]byte{toc(1, 0, 2), 1, 0, 0}, 1920}, // two frames of different sizes
		{[]byte{toc(31, 0, 3), 6}, 5760},      // six 20 ms frames: 120 ms
		{[]byte{toc(11, 0, 3), 3}, 0},         // three 60 ms frames: too long
		{[]byte{toc(31, 0, 3), 0}, 0},         // no frames
		{[]byte{toc(31, 0, 3)}, 0},            // frame count missing
	}
	for _, c := range cases {
		if got := packetSamples(c.p); got != c.want {
			t.Errorf("packetSamples(%08b…) = %d, want %d", c.p, got, c.want)
		}
	}
}

func TestHasFECFlags(t *testing.T) {
	toc := func(cfg, stereo, code byte) byte { return cfg<<3 | stereo<<2 | code }
	cases := []struct {
		p    []byte
		want bool
	}{
		{[]byte{toc(9, 0, 0), 0b0100_0000}, true},       // mono 20 ms: VAD 0, LBRR 1
		{[]byte{toc(9, 0, 0), 0b1011_1111}, false},      // VAD 1, LBRR 0
		{[]byte{toc(11, 0, 0), 0b0001_0000}, true},      // mono 60 ms: 3 VAD flags, then LBRR
		{[]byte{toc(11, 0, 0), 0b0010_0000}, false},     // third VAD flag only
		{[]byte{toc(9, 1, 0), 0b0001_0000}, true},       // stereo: the side channel's LBRR
		{[]byte{toc(15, 0, 1), 0b0100_0000, 0}, true},   // hybrid, two frames
		{[]byte{toc(9, 0, 2), 2, 0b0100_0000, 0}, true}, // first frame after its length
		{[]byte{toc(9, 0, 2), 0, 0b0100_0000}, false},   // first frame empty
		{[]byte{toc(31, 0, 0), 0xff}, false},            // CELT has no FEC
		{[]byte{toc(9, 0, 0)}, false},                   // DTX: nothing but the TOC
	}
	for _, c := range cases {
		if got := hasFEC(c.p); got != c.want {
			t.Errorf("hasFEC(%08b) = %v, want %v", c.p, got, c.want)
		}
	}
}

// TestHasFECMatchesDecoder checks the flag against libopus itself: where it
// is set, decoding the packet's FEC gives back the previous frame closely;
// where it is not, the decoder falls back to plain concealment.
func TestHasFECMatchesDecoder(t *testing.T) {
	pkts := encoded(t, syllables, 300)
	with, without := 0, 0
	for i := 2; i < len(pkts); i += 7 {
		ref, fec, plc := newDecoder(t), newDecoder(t), newDecoder(t)
		a, b, c := make([]int16, 960), make([]int16, 960), make([]int16, 960)
		for _, p := range pkts[:i-1] {
			ref.Decode(p, a)
			fec.Decode(p, b)
			plc.Decode(p, c)
		}
		ref.Decode(pkts[i-1], a)
		if _, err := fec.DecodeFEC(pkts[i], b); err != nil {
			t.Fatal(err)
		}
		plc.Decode(nil, c)
		if hasFEC(pkts[i]) {
			with++
			if s := snr(a, b); s < 20 {
				t.Errorf("packet %d: flagged FEC rebuilds the frame at only %.1f dB", i, s)
			}
		} else {
			without++
			if !slices.Equal(b, c) {
				t.Errorf("packet %d: not flagged, but FEC decoding differs from concealment", i)
			}
		}
	}
	if with == 0 || without == 0 {
		t.Errorf("%d packets with FEC, %d without: want both", with, without)
	}

	enc, err := opus.NewEncoder(opus.EncoderConfig{Channels: 1, ExpectedLossPct: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	g := tone.NewGenerator(440, toneAmp, 1)
	pcm, out := make([]int16, 960), make([]byte, 1500)
	for i := range 100 {
		g.Fill(pcm)
		for j := range pcm {
			pcm[j] = int16(float64(pcm[j]) * syllableGain(i*960+j))
		}
		n, err := enc.Encode(pcm, out)
		if err != nil {
			t.Fatal(err)
		}
		if hasFEC(out[:n]) {
			t.Fatalf("packet %d flagged FEC from an encoder without FEC", i)
		}
	}
}

func newDecoder(t *testing.T) *opus.Decoder {
	d, err := opus.NewDecoder(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// snr returns the ratio of ref's power to that of got's difference from it.
func snr(ref, got []int16) float64 {
	var s, e float64
	for i := range ref {
		d := float64(ref[i]) - float64(got[i])
		s += float64(ref[i]) * float64(ref[i])
		e += d * d
	}
	return 10 * math.Log10(s/(e+1))
}
