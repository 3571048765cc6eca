package opus

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"peercall/media/tone"
)

const frame20ms = SampleRate / 50 // 960 samples per channel

// callConfig is what a Peercall call uses on a lossy network.
var callConfig = EncoderConfig{Channels: 1, FEC: true, DTX: true, ExpectedLossPct: 5}

func newEncoder(t testing.TB, cfg EncoderConfig) *Encoder {
	t.Helper()
	enc, err := NewEncoder(cfg)
	if err != nil {
		t.Fatalf("NewEncoder(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { enc.Close() })
	return enc
}

func newDecoder(t testing.TB, channels int) *Decoder {
	t.Helper()
	dec, err := NewDecoder(channels)
	if err != nil {
		t.Fatalf("NewDecoder(%d): %v", channels, err)
	}
	t.Cleanup(func() { dec.Close() })
	return dec
}

// toneSignal returns ms milliseconds of a 440 Hz tone at half scale.
func toneSignal(ms, channels int) []int16 {
	pcm := make([]int16, SampleRate*ms/1000*channels)
	tone.NewGenerator(440, 0.5, channels).Fill(pcm)
	return pcm
}

// encodeAll encodes pcm in 20 ms frames and returns a copy of each packet.
func encodeAll(t testing.TB, enc *Encoder, pcm []int16) [][]byte {
	t.Helper()
	step := frame20ms * enc.Channels()
	out := make([]byte, 1500)
	var packets [][]byte
	for off := 0; off+step <= len(pcm); off += step {
		n, err := enc.Encode(pcm[off:off+step], out)
		if err != nil {
			t.Fatalf("Encode frame %d: %v", off/step, err)
		}
		packets = append(packets, append([]byte(nil), out[:n]...))
	}
	return packets
}

// decodeWithLoss decodes packets in order, treating indices in lost as
// missing. A lost packet is recovered from the next packet's FEC when that
// packet arrived, and concealed by PLC otherwise.
func decodeWithLoss(t testing.TB, dec *Decoder, packets [][]byte, lost map[int]bool) (pcm []int16, fecFrames int) {
	t.Helper()
	buf := make([]int16, frame20ms*dec.Channels())
	for i, p := range packets {
		var n int
		var err error
		switch {
		case !lost[i]:
			n, err = dec.Decode(p, buf)
		case i+1 < len(packets) && !lost[i+1]:
			n, err = dec.DecodeFEC(packets[i+1], buf)
			fecFrames++
		default:
			n, err = dec.Decode(nil, buf)
		}
		if err != nil {
			t.Fatalf("packet %d (lost=%v): %v", i, lost[i], err)
		}
		if n != frame20ms {
			t.Fatalf("packet %d: decoded %d samples, want %d", i, n, frame20ms)
		}
		pcm = append(pcm, buf...)
	}
	return pcm, fecFrames
}

func channel(pcm []int16, channels, c int) []int16 {
	out := make([]int16, 0, len(pcm)/channels)
	for i := c; i < len(pcm); i += channels {
		out = append(out, pcm[i])
	}
	return out
}

// longestQuietRun returns the longest run of consecutive samples whose
// magnitude is below about -54 dBFS.
func longestQuietRun(pcm []int16) int {
	longest, run := 0, 0
	for _, s := range pcm {
		if s > -64 && s < 64 {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// checkNoSilentGaps fails if a decoded 440 Hz tone contains silence longer
// than 20 ms. Concealed audio should in fact contain no silence at all once
// the decoder has started, so after the first frame even a 2.5 ms run fails:
// a lost packet replaced by zeros leaves exactly 20 ms of silence, which the
// 20 ms bound alone would let through.
func checkNoSilentGaps(t *testing.T, out []int16) {
	t.Helper()
	if run := longestQuietRun(out); run > frame20ms {
		t.Errorf("longest silent run %d samples (%.1f ms), want at most 20 ms", run, float64(run)*1000/SampleRate)
	}
	const limit = SampleRate / 400 // 2.5 ms
	if run := longestQuietRun(out[frame20ms:]); run > limit {
		t.Errorf("silent run of %d samples (%.1f ms) after the first frame; concealment left a gap", run, float64(run)*1000/SampleRate)
	}
}

func TestRoundTripTone(t *testing.T) {
	for _, channels := range []int{1, 2} {
		cfg := callConfig
		cfg.Channels = channels
		in := toneSignal(1000, channels)
		packets := encodeAll(t, newEncoder(t, cfg), in)
		if len(packets) != 50 {
			t.Fatalf("got %d packets for 1 s, want 50", len(packets))
		}
		out, _ := decodeWithLoss(t, newDecoder(t, channels), packets, nil)

		for c := range channels {
			if f := tone.DominantFrequency(channel(out, channels, c), SampleRate); math.Abs(f-440) > 1 {
				t.Errorf("channels=%d ch%d: decoded dominant frequency %.2f Hz, want 440", channels, c, f)
			}
		}
		inLevel, outLevel := tone.Level(in), tone.Level(out)
		if math.Abs(inLevel-outLevel) > 3 {
			t.Errorf("channels=%d: level in %.2f dBFS, out %.2f dBFS; want within 3 dB", channels, inLevel, outLevel)
		}
		t.Logf("channels=%d: level in %.2f out %.2f dBFS, mean packet %d bytes", channels, inLevel, outLevel, meanSize(packets))
	}
}

func meanSize(packets [][]byte) int {
	total := 0
	for _, p := range packets {
		total += len(p)
	}
	return total / max(len(packets), 1)
}

func TestPacketLossIsConcealed(t *testing.T) {
	in := toneSignal(2000, 1)
	packets := encodeAll(t, newEncoder(t, callConfig), in)
	// 5 of 100 packets: isolated losses recovered by FEC, a burst of two
	// (the first of which has no following packet to take FEC from) and a
	// lost final packet, both concealed by PLC.
	lost := map[int]bool{7: true, 23: true, 24: true, 61: true, 99: true}
	out, fecFrames := decodeWithLoss(t, newDecoder(t, 1), packets, lost)
	if fecFrames != 3 {
		t.Fatalf("recovered %d frames from FEC, want 3", fecFrames)
	}
	checkNoSilentGaps(t, out)
	if f := tone.DominantFrequency(out, SampleRate); math.Abs(f-440) > 1 {
		t.Errorf("dominant frequency %.2f Hz, want 440", f)
	}
	if d := math.Abs(tone.Level(in) - tone.Level(out)); d > 3 {
		t.Errorf("level differs by %.2f dB", d)
	}
}

func TestRandomLossIsConcealed(t *testing.T) {
	in := toneSignal(5000, 1)
	packets := encodeAll(t, newEncoder(t, callConfig), in)
	rng := rand.New(rand.NewPCG(5, 5))
	lost := map[int]bool{}
	for len(lost) < len(packets)/20 {
		lost[rng.IntN(len(packets))] = true
	}
	out, _ := decodeWithLoss(t, newDecoder(t, 1), packets, lost)
	checkNoSilentGaps(t, out)
}

// TestFECBeatsPLC checks that the packets really carry FEC: recovering a lost
// frame from the next packet must reproduce it far better than concealment.
func TestFECBeatsPLC(t *testing.T) {
	packets := encodeAll(t, newEncoder(t, callConfig), toneSignal(1000, 1))
	clean, _ := decodeWithLoss(t, newDecoder(t, 1), packets, nil)
	const lostIdx = 30
	fec, _ := decodeWithLoss(t, newDecoder(t, 1), packets, map[int]bool{lostIdx: true})

	plcDec := newDecoder(t, 1)
	var plc []int16
	buf := make([]int16, frame20ms)
	for i, p := range packets[:lostIdx+1] {
		if i == lostIdx {
			p = nil
		}
		if _, err := plcDec.Decode(p, buf); err != nil {
			t.Fatal(err)
		}
		plc = append(plc, buf...)
	}

	rmsErr := func(x []int16) float64 {
		var sum float64
		for i := lostIdx * frame20ms; i < (lostIdx+1)*frame20ms; i++ {
			d := float64(x[i]) - float64(clean[i])
			sum += d * d
		}
		return math.Sqrt(sum / frame20ms)
	}
	fecErr, plcErr := rmsErr(fec), rmsErr(plc)
	t.Logf("lost-frame RMS error: FEC %.0f, PLC %.0f", fecErr, plcErr)
	if fecErr*4 > plcErr {
		t.Errorf("FEC recovery error %.0f is not clearly below PLC error %.0f; packets carry no FEC?", fecErr, plcErr)
	}
}

func TestDTXSilenceGivesTinyPackets(t *testing.T) {
	for _, cfg := range []EncoderConfig{callConfig, {Channels: 2, DTX: true}} {
		enc := newEncoder(t, cfg)
		dec := newDecoder(t, cfg.Channels)
		// Half a second of tone, then two seconds of digital silence.
		encodeAll(t, enc, toneSignal(500, cfg.Channels))
		packets := encodeAll(t, enc, make([]int16, 2*SampleRate*cfg.Channels))

		// The encoder needs a few frames to decide the input is silent.
		const settle = 10
		tiny := 0
		for _, p := range packets[settle:] {
			if len(p) <= 2 {
				tiny++
			}
		}
		if want := (len(packets) - settle) * 9 / 10; tiny < want {
			t.Errorf("%+v: %d of %d silent packets are <= 2 bytes, want >= %d; sizes %v",
				cfg, tiny, len(packets)-settle, want, sizes(packets))
		}

		out, _ := decodeWithLoss(t, dec, packets, nil)
		if l := tone.Level(out[len(out)/2:]); l > -60 {
			t.Errorf("%+v: decoded DTX silence at %.1f dBFS, want below -60", cfg, l)
		}
	}

	// Without DTX, silence still costs real packets.
	enc := newEncoder(t, EncoderConfig{Channels: 1})
	for i, p := range encodeAll(t, enc, make([]int16, SampleRate)) {
		if len(p) <= 2 {
			t.Fatalf("without DTX silent packet %d is %d bytes", i, len(p))
		}
	}
}

func sizes(packets [][]byte) []int {
	s := make([]int, len(packets))
	for i, p := range packets {
		s[i] = len(p)
	}
	return s
}

func TestGarbagePacketsReturnErrors(t *testing.T) {
	dec := newDecoder(t, 1)
	pcm := make([]int16, MaxFrameSamples)
	invalid := [][]byte{
		{0x01, 0x00},             // code 1: two equal frames need an even payload
		{0x02, 0xff},             // code 2: first frame longer than the packet
		{0x03, 0x00},             // code 3: zero frames
		{0x03, 0x3f},             // code 3: 63 frames of 10 ms, over 120 ms
		{0xff, 0xff, 0xff},       // code 3 with impossible padding
		{0x0b, 0x80, 0xff, 0xff}, // code 3 VBR with oversized frame lengths
	}
	for _, p := range invalid {
		n, err := dec.Decode(p, pcm)
		if err == nil {
			t.Errorf("Decode(%x) = %d, nil; want error", p, n)
			continue
		}
		if !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("Decode(%x) error %v does not match ErrInvalidPacket", p, err)
		}
		if !strings.Contains(err.Error(), "corrupted stream") {
			t.Errorf("Decode(%x) error %q lacks libopus's message", p, err)
		}
		if _, err := dec.DecodeFEC(p, pcm[:frame20ms]); err == nil {
			t.Errorf("DecodeFEC(%x) succeeded, want error", p)
		}
	}

	// Random garbage must never crash; whatever decodes must fit the buffer.
	rng := rand.New(rand.NewPCG(7, 8))
	p := make([]byte, 1500)
	for range 20000 {
		n := 1 + rng.IntN(len(p))
		for j := range n {
			p[j] = byte(rng.Uint32())
		}
		got, err := dec.Decode(p[:n], pcm)
		if err == nil && (got < 0 || got > MaxFrameSamples) {
			t.Fatalf("Decode(garbage) = %d samples", got)
		}
	}

	// The decoder is still usable for real packets afterwards.
	packets := encodeAll(t, newEncoder(t, callConfig), toneSignal(200, 1))
	decodeWithLoss(t, dec, packets, nil)
}

func TestArgumentErrors(t *testing.T) {
	for _, cfg := range []EncoderConfig{
		{Channels: 0}, {Channels: 3}, {Channels: 1, BitrateBps: -1},
		{Channels: 1, ExpectedLossPct: -1}, {Channels: 1, ExpectedLossPct: 101},
	} {
		if enc, err := NewEncoder(cfg); err == nil {
			enc.Close()
			t.Errorf("NewEncoder(%+v) succeeded", cfg)
		} else if !errors.Is(err, ErrBadArg) || !strings.Contains(err.Error(), "invalid argument") {
			t.Errorf("NewEncoder(%+v): unexpected error %v", cfg, err)
		}
	}
	for _, ch := range []int{-1, 0, 3} {
		if _, err := NewDecoder(ch); !errors.Is(err, ErrBadArg) {
			t.Errorf("NewDecoder(%d): err %v, want ErrBadArg", ch, err)
		}
	}

	mono := newEncoder(t, EncoderConfig{Channels: 1})
	stereo := newEncoder(t, EncoderConfig{Channels: 2})
	out := make([]byte, 1500)
	checks := []struct {
		name string
		err  error
		want Code
	}{
		{"encode odd frame size", second(mono.Encode(make([]int16, 961), out)), ErrBadArg},
		{"encode empty", second(mono.Encode(nil, out)), ErrBadArg},
		{"encode too long", second(mono.Encode(make([]int16, 2*MaxFrameSamples), out)), ErrBadArg},
		{"encode stereo odd length", second(stereo.Encode(make([]int16, 1919), out)), ErrBadArg},
		{"encode no output", second(mono.Encode(make([]int16, frame20ms), nil)), ErrBufferTooSmall},
		{"set bitrate", mono.SetBitrate(-5), ErrBadArg},
		{"set loss", mono.SetPacketLossPct(150), ErrBadArg},
	}
	dec := newDecoder(t, 2)
	packets := encodeAll(t, stereo, toneSignal(40, 2))
	checks = append(checks, []struct {
		name string
		err  error
		want Code
	}{
		{"decode into short buffer", second(dec.Decode(packets[0], make([]int16, 2*frame20ms/2))), ErrBufferTooSmall},
		{"decode odd stereo buffer", second(dec.Decode(packets[0], make([]int16, 2*frame20ms+1))), ErrBadArg},
		{"decode empty buffer", second(dec.Decode(packets[0], nil)), ErrBadArg},
		{"plc of non-2.5ms length", second(dec.Decode(nil, make([]int16, 2*100))), ErrBadArg},
		{"fec of non-2.5ms length", second(dec.DecodeFEC(packets[1], make([]int16, 2*100))), ErrBadArg},
	}...)
	for _, c := range checks {
		var oe *Error
		if !errors.As(c.err, &oe) || oe.Code != c.want {
			t.Errorf("%s: err %v, want code %d (%v)", c.name, c.err, c.want, c.want)
		}
	}

	// Valid calls still work after the rejected ones.
	if err := mono.SetBitrate(0); err != nil {
		t.Errorf("SetBitrate(0): %v", err)
	}
	if err := mono.SetPacketLossPct(20); err != nil {
		t.Errorf("SetPacketLossPct(20): %v", err)
	}
}

func second(_ int, err error) error { return err }

func TestErrorText(t *testing.T) {
	if got := ErrInvalidPacket.Error(); got != "corrupted stream" {
		t.Errorf("ErrInvalidPacket.Error() = %q", got)
	}
	err := error(&Error{Op: "decode", Code: ErrBufferTooSmall, Detail: "x"})
	if got := err.Error(); got != "opus: decode: buffer too small (x)" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, ErrBufferTooSmall) || errors.Is(err, ErrBadArg) {
		t.Error("errors.Is does not follow the code")
	}
}

func TestFrameSizes(t *testing.T) {
	enc := newEncoder(t, callConfig)
	dec := newDecoder(t, 1)
	out := make([]byte, 1500)
	pcm := make([]int16, MaxFrameSamples)
	for _, ms := range []float64{2.5, 5, 10, 20, 40, 60} {
		samples := int(ms * SampleRate / 1000)
		tone.NewGenerator(440, 0.5, 1).Fill(pcm[:samples])
		n, err := enc.Encode(pcm[:samples], out)
		if err != nil {
			t.Fatalf("%v ms: Encode: %v", ms, err)
		}
		got, err := dec.Decode(out[:n], pcm)
		if err != nil || got != samples {
			t.Fatalf("%v ms: Decode = %d, %v; want %d", ms, got, err, samples)
		}
		if got, err := dec.Decode(nil, pcm[:samples]); err != nil || got != samples {
			t.Fatalf("%v ms: PLC = %d, %v; want %d", ms, got, err, samples)
		}
	}
}

func TestSetBitrateChangesPacketSize(t *testing.T) {
	pcm := toneSignal(1000, 1)
	enc := newEncoder(t, EncoderConfig{Channels: 1, BitrateBps: 12000})
	low := meanSize(encodeAll(t, enc, pcm))
	if err := enc.SetBitrate(64000); err != nil {
		t.Fatal(err)
	}
	high := meanSize(encodeAll(t, enc, pcm))
	t.Logf("mean packet: %d bytes at 12 kb/s, %d bytes at 64 kb/s", low, high)
	// 12 kb/s is 30 bytes per 20 ms frame, 64 kb/s is 160.
	if low > 50 || high < 2*low {
		t.Errorf("mean packet %d bytes at 12 kb/s, %d at 64 kb/s", low, high)
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	enc, err := NewEncoder(EncoderConfig{Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(1)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := enc.Close(); err != nil {
			t.Fatalf("Encoder.Close: %v", err)
		}
		if err := dec.Close(); err != nil {
			t.Fatalf("Decoder.Close: %v", err)
		}
	}
	pcm := make([]int16, frame20ms)
	if _, err := enc.Encode(pcm, make([]byte, 100)); err != ErrClosed {
		t.Errorf("Encode after Close: %v", err)
	}
	if err := enc.SetBitrate(1000); err != ErrClosed {
		t.Errorf("SetBitrate after Close: %v", err)
	}
	if err := enc.SetPacketLossPct(1); err != ErrClosed {
		t.Errorf("SetPacketLossPct after Close: %v", err)
	}
	if _, err := dec.Decode([]byte{0xf8}, pcm); err != ErrClosed {
		t.Errorf("Decode after Close: %v", err)
	}
	if _, err := dec.DecodeFEC(nil, pcm); err != ErrClosed {
		t.Errorf("DecodeFEC after Close: %v", err)
	}
}

// TestCloseWhileInUse races Close against encoding and decoding; run with
// -race. Calls must either succeed or report ErrClosed.
func TestCloseWhileInUse(t *testing.T) {
	packets := encodeAll(t, newEncoder(t, callConfig), toneSignal(100, 1))
	for range 20 {
		enc, _ := NewEncoder(callConfig)
		dec, _ := NewDecoder(1)
		var wg sync.WaitGroup
		wg.Go(func() {
			pcm, out := make([]int16, frame20ms), make([]byte, 1500)
			for range 50 {
				if _, err := enc.Encode(pcm, out); err != nil && err != ErrClosed {
					t.Errorf("Encode: %v", err)
				}
			}
		})
		wg.Go(func() {
			pcm := make([]int16, frame20ms)
			for i := range 50 {
				if _, err := dec.Decode(packets[i%len(packets)], pcm); err != nil && err != ErrClosed {
					t.Errorf("Decode: %v", err)
				}
			}
		})
		wg.Go(func() { enc.Close(); dec.Close() })
		wg.Wait()
	}
}

func TestNoAllocationsPerFrame(t *testing.T) {
	for _, channels := range []int{1, 2} {
		cfg := callConfig
		cfg.Channels = channels
		enc := newEncoder(t, cfg)
		dec := newDecoder(t, channels)
		pcm := toneSignal(20, channels)
		out := make([]byte, 1500)
		n, err := enc.Encode(pcm, out)
		if err != nil {
			t.Fatal(err)
		}
		packet := append([]byte(nil), out[:n]...)
		decoded := make([]int16, len(pcm))

		for name, f := range map[string]func(){
			"Encode":     func() { enc.Encode(pcm, out) },
			"Decode":     func() { dec.Decode(packet, decoded) },
			"Decode PLC": func() { dec.Decode(nil, decoded) },
			"DecodeFEC":  func() { dec.DecodeFEC(packet, decoded) },
		} {
			if allocs := testing.AllocsPerRun(200, f); allocs != 0 {
				t.Errorf("channels=%d: %s allocates %v times per frame", channels, name, allocs)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	packets := encodeAll(f, newEncoder(f, callConfig), toneSignal(100, 1))
	for _, p := range packets {
		f.Add(p)
	}
	f.Add([]byte{0x03, 0x3f})
	f.Add([]byte{0xff, 0xff, 0xff})
	dec := newDecoder(f, 2)
	pcm := make([]int16, 2*MaxFrameSamples)
	f.Fuzz(func(t *testing.T, p []byte) {
		n, err := dec.Decode(p, pcm)
		if err == nil && (n < 0 || n > MaxFrameSamples) {
			t.Fatalf("decoded %d samples", n)
		}
		dec.DecodeFEC(p, pcm[:2*frame20ms])
	})
}

func benchmarkEncode(b *testing.B, channels int) {
	cfg := callConfig
	cfg.Channels = channels
	enc := newEncoder(b, cfg)
	pcm := toneSignal(1000, channels)
	out := make([]byte, 1500)
	step := frame20ms * channels
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		off := i % (len(pcm) / step) * step
		if _, err := enc.Encode(pcm[off:off+step], out); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchmarkDecode(b *testing.B, channels int) {
	cfg := callConfig
	cfg.Channels = channels
	packets := encodeAll(b, newEncoder(b, cfg), toneSignal(1000, channels))
	dec := newDecoder(b, channels)
	pcm := make([]int16, frame20ms*channels)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := dec.Decode(packets[i%len(packets)], pcm); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkEncode20msMono(b *testing.B)   { benchmarkEncode(b, 1) }
func BenchmarkEncode20msStereo(b *testing.B) { benchmarkEncode(b, 2) }
func BenchmarkDecode20msMono(b *testing.B)   { benchmarkDecode(b, 1) }
func BenchmarkDecode20msStereo(b *testing.B) { benchmarkDecode(b, 2) }

func BenchmarkDecodePLC20ms(b *testing.B) {
	dec := newDecoder(b, 1)
	packets := encodeAll(b, newEncoder(b, callConfig), toneSignal(100, 1))
	pcm := make([]int16, frame20ms)
	for _, p := range packets {
		dec.Decode(p, pcm)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(nil, pcm); err != nil {
			b.Fatal(err)
		}
	}
}
