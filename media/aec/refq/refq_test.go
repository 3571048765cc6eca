package refq

import "testing"

// Queue tests use 2-sample frames filled with the frame's number.
func qframe(k int) []int16 { return []int16{int16(k), int16(k)} }

func popped(t *testing.T, q *Queue) int {
	t.Helper()
	ref := []int16{-1, -1}
	q.Pop(ref)
	if ref[0] != ref[1] {
		t.Fatalf("popped a torn frame %v", ref)
	}
	return int(ref[0])
}

func TestQueueLockstep(t *testing.T) {
	q := New(2, 8, 10)
	// Either order, frame by frame, in bursts: every frame comes out once,
	// in order, with nothing dropped once the first pop has found one.
	k, want := 1, 1
	if got := popped(t, q); got != 0 || q.underruns != 1 {
		t.Fatalf("pop from an empty queue: frame %d, %d underruns; want silence, 1", got, q.underruns)
	}
	for round := range 100 {
		burst := 1 + round%3
		for range burst {
			q.Push(qframe(k))
			k++
		}
		for range burst {
			if got := popped(t, q); got != want {
				t.Fatalf("round %d: popped frame %d, want %d", round, got, want)
			}
			want++
		}
	}
	if q.dropped != 0 || q.underruns != 1 {
		t.Errorf("%d dropped, %d underruns; want 0, 1", q.dropped, q.underruns)
	}
}

func TestQueueUnderrun(t *testing.T) {
	q := New(2, 8, 10)
	q.Push(qframe(1))
	popped(t, q)
	// The playout side is late: silence is handed out, and the late frame
	// is used next.
	if got := popped(t, q); got != 0 {
		t.Fatalf("underrun handed out frame %d, want silence", got)
	}
	q.Push(qframe(2))
	if got := popped(t, q); got != 2 || q.underruns != 1 {
		t.Fatalf("after underrun: frame %d, %d underruns; want 2, 1", got, q.underruns)
	}
}

func TestQueueOverflow(t *testing.T) {
	q := New(2, 4, 100)
	// Capture stalls while playback goes on: the oldest frames are dropped,
	// and the next pop realigns to the newest keepFrames.
	for k := 1; k <= 6; k++ {
		q.Push(qframe(k))
	}
	if q.dropped != 2 || q.count != 4 {
		t.Fatalf("after 6 pushes into 4 slots: %d dropped, %d queued", q.dropped, q.count)
	}
	if got := popped(t, q); got != 6 || q.dropped != 5 || q.count != 0 {
		t.Fatalf("pop after overflow: frame %d, %d dropped, %d queued; want 6, 5, 0", got, q.dropped, q.count)
	}
	q.Push(qframe(7))
	if got := popped(t, q); got != 7 {
		t.Fatalf("next pop: frame %d, want 7", got)
	}
}

func TestQueueStandingBacklog(t *testing.T) {
	const window = 10
	q := New(2, 16, window)
	// A stall shorter than the queue leaves a standing backlog of 5 frames:
	// after one window it is trimmed back to keepFrames.
	k := 1
	for ; k <= 5; k++ {
		q.Push(qframe(k))
	}
	for range window {
		q.Push(qframe(k))
		k++
		popped(t, q)
	}
	if q.count != keepFrames || q.dropped != uint64(5-keepFrames) {
		t.Fatalf("after a window with 5 frames standing: %d queued, %d dropped; want %d, %d", q.count, q.dropped, keepFrames, 5-keepFrames)
	}
	// A backlog of standingMaxFrames is tolerated.
	q.Push(qframe(k))
	k++
	for range 3 * window {
		q.Push(qframe(k))
		k++
		popped(t, q)
	}
	if q.count != standingMaxFrames || q.dropped != uint64(5-keepFrames) {
		t.Fatalf("with %d frames standing: %d queued, %d dropped", standingMaxFrames, q.count, q.dropped)
	}
	q.Reset()
	if q.count != 0 {
		t.Fatal("reset left frames queued")
	}
}

// A shared queue counts what is played and taken, and plays nothing once
// closed.
func TestShared(t *testing.T) {
	s := NewShared(2, 8, 10)
	s.Play(qframe(1))
	s.Play(qframe(2))
	ref := make([]int16, 2)
	s.Take(ref)
	if ref[0] != 1 {
		t.Fatalf("took frame %d, want 1", ref[0])
	}
	s.Close()
	s.Play(qframe(3))
	s.Take(ref)
	if played, dropped, underruns := s.Counts(); played != 2 || ref[0] != 0 || underruns != 1 || dropped != 0 {
		t.Errorf("after Close: frame %d taken; %d played, %d dropped, %d underruns; want silence, 2, 0, 1", ref[0], played, dropped, underruns)
	}
}
