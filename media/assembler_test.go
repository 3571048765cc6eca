package media

import (
	"bytes"
	"image"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"peercall/media/pattern"
	"peercall/media/vp8"
)

// encodedFrames encodes n frames of the test pattern; keyframes at the
// given indexes (the first is always one).
func encodedFrames(t *testing.T, n int, keys ...int) [][]byte {
	t.Helper()
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: 320, Height: 240, FPS: 30, BitrateKbps: 600})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	gen := pattern.NewGenerator(320, 240)
	// Stamps in the past, as captures are by the time they decode.
	start := time.Now().Add(-time.Second)
	var out [][]byte
	for i := 0; i < n; i++ {
		force := i == 0
		for _, k := range keys {
			force = force || k == i
		}
		frame, _, err := enc.Encode(gen.Next(start.Add(time.Duration(i)*33*time.Millisecond)), force)
		if err != nil {
			t.Fatal(err)
		}
		if len(frame) == 0 {
			t.Fatalf("frame %d dropped by the encoder", i)
		}
		out = append(out, bytes.Clone(frame))
	}
	return out
}

// packetize splits frames into RTP packets the way a sender does, with
// small packets so that every frame spans several.
func packetize(frames [][]byte, firstSeq uint16) [][]*rtp.Packet {
	p := &codecs.VP8Payloader{EnablePictureID: true}
	seq := firstSeq
	var out [][]*rtp.Packet
	for i, f := range frames {
		payloads := p.Payload(300, f)
		var pkts []*rtp.Packet
		for j, pl := range payloads {
			pkts = append(pkts, &rtp.Packet{
				Header:  rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(i * 3000), Marker: j == len(payloads)-1},
				Payload: pl,
			})
			seq++
		}
		out = append(out, pkts)
	}
	return out
}

type collected struct {
	frames [][]byte
	keys   []bool
}

func drain(a *frameAssembler, now time.Time, c *collected) {
	for {
		f, key := a.pop(now)
		if f == nil {
			return
		}
		c.frames = append(c.frames, bytes.Clone(f))
		c.keys = append(c.keys, key)
	}
}

func TestAssemblerReleasesEachFrameAtItsLastPacket(t *testing.T) {
	frames := encodedFrames(t, 10)
	// Start near the top of the sequence space so it wraps.
	packets := packetize(frames, 65530)
	var a frameAssembler
	var got collected
	now := time.Now()
	for i, pkts := range packets {
		for _, p := range pkts {
			if err := a.push(p, now); err != nil {
				t.Fatal(err)
			}
			drain(&a, now, &got)
		}
		// No waiting for the next frame's first packet.
		if len(got.frames) != i+1 {
			t.Fatalf("after frame %d's last packet %d frames were out, want %d", i, len(got.frames), i+1)
		}
	}
	for i := range frames {
		if !bytes.Equal(got.frames[i], frames[i]) {
			t.Fatalf("frame %d differs after assembly", i)
		}
	}
	if !got.keys[0] || got.keys[1] {
		t.Errorf("keyframe flags %v: want the first frame only", got.keys[:2])
	}
}

func TestAssemblerWaitsForRetransmissionAndReorders(t *testing.T) {
	frames := encodedFrames(t, 6)
	packets := packetize(frames, 100)
	var a frameAssembler
	var got collected
	now := time.Now()
	// Frame 2 loses its first packet; frames 3 and 4 arrive, with frame 4's
	// packets reversed; then the lost packet comes back (a NACK answer).
	lost := packets[2][0]
	var order []*rtp.Packet
	order = append(order, packets[0]...)
	order = append(order, packets[1]...)
	order = append(order, packets[2][1:]...)
	order = append(order, packets[3]...)
	for i := len(packets[4]) - 1; i >= 0; i-- {
		order = append(order, packets[4][i])
	}
	for _, p := range order {
		a.push(p, now)
		drain(&a, now, &got)
	}
	if len(got.frames) != 2 {
		t.Fatalf("%d frames out before the retransmission, want 2", len(got.frames))
	}
	a.push(lost, now.Add(40*time.Millisecond))
	drain(&a, now.Add(40*time.Millisecond), &got)
	for _, p := range packets[5] {
		a.push(p, now.Add(50*time.Millisecond))
		drain(&a, now.Add(50*time.Millisecond), &got)
	}
	if len(got.frames) != 6 {
		t.Fatalf("%d frames out, want all 6", len(got.frames))
	}
	for i := range frames {
		if !bytes.Equal(got.frames[i], frames[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
	if a.takeKeyframeNeed() {
		t.Error("a keyframe was asked for although nothing was lost for good")
	}
}

func TestAssemblerSkipsToKeyframeAfterLoss(t *testing.T) {
	frames := encodedFrames(t, 8, 5)
	packets := packetize(frames, 1000)
	var a frameAssembler
	var got collected
	now := time.Now()
	for i, pkts := range packets {
		for j, p := range pkts {
			if i == 2 && j == 0 {
				continue // lost for good
			}
			a.push(p, now)
			drain(&a, now, &got)
		}
		if i == 3 {
			// Frames 3.. wait behind the hole until patience runs out.
			now = now.Add(gapPatience + time.Millisecond)
			drain(&a, now, &got)
			if !a.takeKeyframeNeed() {
				t.Fatal("no keyframe asked for after a packet was lost for good")
			}
		}
	}
	// Frames 0 and 1, then nothing until the keyframe at 5, then 5, 6, 7.
	if len(got.frames) != 5 {
		t.Fatalf("%d frames out, want 5", len(got.frames))
	}
	if !bytes.Equal(got.frames[2], frames[5]) || !got.keys[2] {
		t.Error("decoding did not resume at the keyframe")
	}
}

func TestAssemblerWaitsForFirstKeyframe(t *testing.T) {
	frames := encodedFrames(t, 6, 4)
	packets := packetize(frames, 7)
	var a frameAssembler
	var got collected
	now := time.Now()
	// Joining late: the first keyframe was missed.
	for _, pkts := range packets[1:] {
		for _, p := range pkts {
			a.push(p, now)
			drain(&a, now, &got)
		}
	}
	if len(got.frames) != 2 || !got.keys[0] {
		t.Fatalf("got %d frames (keys %v), want the keyframe at 4 and its successor", len(got.frames), got.keys)
	}
}

func TestAssemblerIgnoresGarbage(t *testing.T) {
	var a frameAssembler
	if err := a.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1}}, time.Now()); err == nil {
		t.Error("an empty payload was accepted")
	}
	if f, _ := a.pop(time.Now()); f != nil {
		t.Error("a frame came out of nothing")
	}
}

// The whole receive pipeline: packets in, pictures of the right size out,
// each with its capture time read back.
func TestVideoReceiverDecodesAndMeasuresLatency(t *testing.T) {
	frames := encodedFrames(t, 20)
	packets := packetize(frames, 500)
	var sink countingSink
	asked := 0
	r, err := NewVideoReceiver(&sink, func() { asked++ })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, pkts := range packets {
		for _, p := range pkts {
			r.Push(p)
		}
	}
	st := r.Stats()
	if st.FramesDecoded != 20 || sink.n != 20 {
		t.Fatalf("decoded %d, sink got %d, want 20", st.FramesDecoded, sink.n)
	}
	if st.Width != 320 || st.Height != 240 || sink.w != 320 || sink.h != 240 {
		t.Errorf("size %dx%d, want 320x240", st.Width, st.Height)
	}
	if st.LatencySamples != 20 {
		t.Errorf("%d frames had a readable capture stamp, want 20", st.LatencySamples)
	}
	if asked != 0 {
		t.Errorf("%d keyframe requests on a clean stream", asked)
	}
}

type countingSink struct{ n, w, h int }

func (c *countingSink) WriteFrame(img *image.YCbCr) {
	c.n++
	c.w, c.h = img.Rect.Dx(), img.Rect.Dy()
}
