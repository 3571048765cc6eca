package media

import (
	"image"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"peercall/media/pattern"
	"peercall/media/vp8"
	"peercall/media/yuv"
)

// wireFrames encodes n frames of the test pattern at w×h (a keyframe
// first) and returns each frame's RTP packets as they come off the wire,
// in 1200-byte payloads as the sender makes them.
func wireFrames(tb testing.TB, w, h, n int) [][][]byte {
	tb.Helper()
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: w, Height: h, FPS: 30})
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	gen := pattern.NewGenerator(w, h)
	pay := &codecs.VP8Payloader{EnablePictureID: true}
	start := time.Now()
	seq := uint16(1000)
	out := make([][][]byte, 0, n)
	for i := 0; i < n; i++ {
		frame, _, err := enc.Encode(gen.Next(start.Add(time.Duration(i)*33*time.Millisecond)), i == 0)
		if err != nil {
			tb.Fatal(err)
		}
		var pkts [][]byte
		payloads := pay.Payload(1200, frame)
		for j, pl := range payloads {
			p := rtp.Packet{
				Header:  rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(i * 3000), SSRC: 7, Marker: j == len(payloads)-1},
				Payload: pl,
			}
			b, err := p.Marshal()
			if err != nil {
				tb.Fatal(err)
			}
			pkts = append(pkts, b)
			seq++
		}
		out = append(out, pkts)
	}
	return out
}

// convertingSink does what the window's view does with each picture:
// convert and scale it into one of two reused RGBA images.
type convertingSink struct {
	conv yuv.Converter
	bufs [2]*image.RGBA
	next int
	w, h int
	n    int
}

func (c *convertingSink) WriteFrame(img *image.YCbCr) {
	buf := yuv.Reuse(c.bufs[c.next], c.w, c.h)
	c.bufs[c.next] = buf
	c.next ^= 1
	if err := c.conv.ConvertInto(buf, img, false); err == nil {
		c.n++
	}
}

// receiveLoop is the receive path from datagram to picture, as a remote
// track's reader runs it: unmarshal into one reused packet, push.
type receiveLoop struct {
	r   *VideoReceiver
	pkt rtp.Packet
}

func (l *receiveLoop) frame(pkts [][]byte) {
	for _, b := range pkts {
		if err := l.pkt.Unmarshal(b); err != nil {
			panic(err)
		}
		l.r.Push(&l.pkt)
	}
}

// In steady state the receive path (unmarshal, reassembly, decode, stamp
// reading, conversion for the screen) allocates nothing per frame.
func TestVideoReceivePathAllocatesNothingPerFrame(t *testing.T) {
	const n = 40
	frames := wireFrames(t, 640, 480, n)
	sink := &convertingSink{w: 480, h: 360}
	r, err := NewVideoReceiver(sink, func() { t.Error("keyframe asked on a clean stream") })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	loop := &receiveLoop{r: r}
	// Warm up: the first frames size the decoder's, assembler's and
	// converter's buffers.
	for _, f := range frames[:10] {
		loop.frame(f)
	}
	i := 10
	allocs := testing.AllocsPerRun(n-11, func() {
		loop.frame(frames[i])
		i++
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per frame in steady state, want 0", allocs)
	}
	if sink.n != i {
		t.Errorf("%d pictures converted of %d frames", sink.n, i)
	}
}

func benchmarkReceive(b *testing.B, w, h int) {
	frames := wireFrames(b, w, h, 60)
	sink := &convertingSink{w: w, h: h}
	r, err := NewVideoReceiver(sink, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { r.Close() }()
	loop := &receiveLoop{r: r}
	for _, f := range frames[:30] {
		loop.frame(f)
	}
	b.ReportAllocs()
	b.ResetTimer()
	// The same 30 inter frames over and over: their sequence numbers and
	// timestamps repeat, so the receiver is reset to a keyframe each lap.
	for i := 0; i < b.N; i++ {
		j := 30 + i%30
		if j == 30 {
			b.StopTimer()
			r.Close()
			if r, err = NewVideoReceiver(sink, nil); err != nil {
				b.Fatal(err)
			}
			loop.r = r
			for _, f := range frames[:30] {
				loop.frame(f)
			}
			b.StartTimer()
		}
		loop.frame(frames[j])
	}
}

// Receive path per frame: unmarshal, reassemble, decode, convert to RGBA.
func BenchmarkReceive640x480(b *testing.B)  { benchmarkReceive(b, 640, 480) }
func BenchmarkReceive1280x720(b *testing.B) { benchmarkReceive(b, 1280, 720) }
