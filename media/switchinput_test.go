package media

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeMic gives 20 ms frames filled with its value, one per tick, until it
// is unplugged (reads fail) or closed.
type fakeMic struct {
	value   int16
	tick    *time.Ticker
	closed  chan struct{}
	gone    chan struct{}
	once    sync.Once
	goneOne sync.Once
}

var errFakeUnplugged = errors.New("fake microphone unplugged")

func newFakeMic(v int16) *fakeMic {
	return &fakeMic{value: v, tick: time.NewTicker(AudioFrame), closed: make(chan struct{}), gone: make(chan struct{})}
}

func (m *fakeMic) ReadFrame(ctx context.Context, pcm []int16) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-m.closed:
		return errSourceClosed
	case <-m.gone:
		return errFakeUnplugged
	case <-m.tick.C:
		for i := range pcm {
			pcm[i] = m.value
		}
		return nil
	}
}

func (m *fakeMic) unplug()      { m.goneOne.Do(func() { close(m.gone) }) }
func (m *fakeMic) Close() error { m.once.Do(func() { close(m.closed); m.tick.Stop() }); return nil }
func (m *fakeMic) Name() string { return "mic" }

// readValues reads n frames and returns the value each was filled with
// (-1 for a frame that is not uniform).
func readValues(t *testing.T, in AudioInput, n int) []int16 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pcm := make([]int16, AudioFrameSamples)
	var out []int16
	for range n {
		if err := in.ReadFrame(ctx, pcm); err != nil {
			t.Fatalf("read: %v", err)
		}
		v := pcm[0]
		for _, s := range pcm {
			if s != v {
				v = -1
				break
			}
		}
		out = append(out, v)
	}
	return out
}

func TestSwitchInputChangesMicrophoneMidStream(t *testing.T) {
	a, b := newFakeMic(100), newFakeMic(200)
	in := NewSwitchInput(a)
	defer in.Close()
	for _, v := range readValues(t, in, 5) {
		if v != 100 {
			t.Fatalf("first microphone: got %d", v)
		}
	}
	// A read waiting on the first microphone when it is replaced: closing
	// the old one ends that read, and the new one is heard.
	done := make(chan []int16)
	go func() { done <- readValues(t, in, 10) }()
	time.Sleep(5 * time.Millisecond)
	old := in.Set(b)
	if old != a {
		t.Fatalf("Set returned %v, want the first microphone", old)
	}
	old.Close()
	got := <-done
	if got[len(got)-1] != 200 {
		t.Errorf("after the change the frames are %v; the last should be the new microphone's", got)
	}
	for _, v := range got {
		if v != 100 && v != 200 {
			t.Errorf("a frame of neither microphone: %v", got)
			break
		}
	}
	if in.Name() != "mic" || in.Err() != nil {
		t.Errorf("name %q, err %v", in.Name(), in.Err())
	}
}

func TestSwitchInputGivesSilenceWhileUnpluggedAndHearsTheNextOne(t *testing.T) {
	a := newFakeMic(100)
	in := NewSwitchInput(a)
	defer in.Close()
	readValues(t, in, 2)
	a.unplug()
	start := time.Now()
	got := readValues(t, in, 10)
	for _, v := range got {
		if v != 0 {
			t.Fatalf("an unplugged microphone should give silence, got %v", got)
		}
	}
	// Silence comes at the real-time rate, not as fast as it is asked for.
	if took := time.Since(start); took < 9*AudioFrame {
		t.Errorf("10 frames of silence in %v: faster than real time", took)
	}
	if !errors.Is(in.Err(), errFakeUnplugged) || in.Name() != "none" {
		t.Errorf("while unplugged: err %v, name %q", in.Err(), in.Name())
	}
	// Plugged in again (or another chosen): heard at once.
	if old := in.Set(newFakeMic(300)); old != nil {
		t.Errorf("Set returned %v; the unplugged one was already let go", old)
	}
	if got := readValues(t, in, 3); got[0] != 300 {
		t.Errorf("after plugging in: %v", got)
	}
	a.Close()
}

func TestSwitchInputEndsWhenClosed(t *testing.T) {
	m := newFakeMic(1)
	in := NewSwitchInput(nil)
	if got := readValues(t, in, 2); got[0] != 0 {
		t.Fatalf("no microphone: %v", got)
	}
	in.Set(m)
	errc := make(chan error)
	go func() {
		pcm := make([]int16, AudioFrameSamples)
		for {
			if err := in.ReadFrame(context.Background(), pcm); err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	in.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("no error after Close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read went on after Close")
	}
	select {
	case <-m.closed:
	default:
		t.Error("Close left the microphone open")
	}
	// A microphone set after Close is released at once.
	late := newFakeMic(2)
	in.Set(late)
	select {
	case <-late.closed:
	default:
		t.Error("a microphone set after Close stayed open")
	}
}
