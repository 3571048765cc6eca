package refq

import "sync"

// Shared is a Queue handed from the playout thread (Play) to the capture
// thread (Take) behind a lock of its own, held only to copy one frame in
// or out, so that playout never waits for the capture side's signal
// processing. It counts the frames played, and plays nothing once closed.
// Its methods are safe for concurrent use.
type Shared struct {
	mu     sync.Mutex
	q      *Queue
	closed bool
	played uint64
}

// NewShared makes a shared queue; the arguments are New's.
func NewShared(frame, capacity, window int) *Shared {
	return &Shared{q: New(frame, capacity, window)}
}

// Play queues one played frame of the queue's frame length, unless the
// queue is closed.
func (s *Shared) Play(frame []int16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.q.Push(frame)
		s.played++
	}
}

// Take fills ref (one frame) with the oldest played frame, or silence
// (Queue.Pop).
func (s *Shared) Take(ref []int16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.q.Pop(ref)
}

// Reset empties the queue and forgets the alignment, as after the echo
// canceller behind it started afresh.
func (s *Shared) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.q.Reset()
}

// Close empties the queue; later Plays queue nothing.
func (s *Shared) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.q.Reset()
}

// Counts are the frames played, those dropped unused, and the Takes that
// found nothing (Queue.Dropped, Queue.Underruns).
func (s *Shared) Counts() (played, dropped, underruns uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.played, s.q.Dropped(), s.q.Underruns()
}
