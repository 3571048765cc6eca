package media

import (
	"context"
	"sync"
	"time"
)

// SwitchInput is the sound a call sends, as one input that goes on across
// a change of microphone: Set puts another device in place mid-call, and
// while there is none — none was found, it was unplugged, it is being
// changed — it gives silence at the real-time rate (which the encoder's
// DTX shrinks to almost nothing), so the stream keeps its clock and a
// microphone chosen or plugged in later is heard at once.
//
// ReadFrame is called from one goroutine (the send loop); the other methods
// from any.
type SwitchInput struct {
	mu      sync.Mutex
	cur     AudioInput
	gone    error         // why the last input stopped; nil while one is live or none was set
	changed chan struct{} // closed and replaced when cur changes
	closed  bool
	done    chan struct{}

	next time.Time // when the next frame of silence is due (send loop only)
}

// NewSwitchInput starts with in (nil: no microphone yet).
func NewSwitchInput(in AudioInput) *SwitchInput {
	return &SwitchInput{cur: in, changed: make(chan struct{}), done: make(chan struct{})}
}

// Set puts in in place of the input in use and returns that one, which the
// caller closes (closing it ends a read still waiting on it). in may be nil:
// silence until the next Set.
func (s *SwitchInput) Set(in AudioInput) (old AudioInput) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		if in != nil {
			in.Close()
		}
		return nil
	}
	old, s.cur, s.gone = s.cur, in, nil
	close(s.changed)
	s.changed = make(chan struct{})
	return old
}

// Current is the input in use, nil when there is none.
func (s *SwitchInput) Current() AudioInput {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Err says why the last input stopped, while no other took its place.
func (s *SwitchInput) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gone
}

// ReadFrame gives the next 20 ms of the input in use, or of silence while
// there is none. It fails only when ctx ends or the SwitchInput is closed.
func (s *SwitchInput) ReadFrame(ctx context.Context, pcm []int16) error {
	for {
		s.mu.Lock()
		cur, changed, closed := s.cur, s.changed, s.closed
		s.mu.Unlock()
		if closed {
			return errSourceClosed
		}
		if cur == nil {
			if s.silence(ctx, pcm, changed) {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			continue // another input came
		}
		err := cur.ReadFrame(ctx, pcm)
		if err == nil {
			s.next = time.Time{}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The input stopped (unplugged), or was replaced and closed while
		// this read waited: go on with whatever is in place now.
		s.mu.Lock()
		if s.cur == cur {
			s.cur, s.gone = nil, err
			close(s.changed)
			s.changed = make(chan struct{})
		}
		s.mu.Unlock()
	}
}

// silence waits for the next 20 ms slot and fills pcm with silence; it
// returns false without filling when another input came or ctx ended
// first.
func (s *SwitchInput) silence(ctx context.Context, pcm []int16, changed <-chan struct{}) bool {
	now := time.Now()
	if s.next.IsZero() || s.next.Before(now.Add(-AudioFrame)) {
		s.next = now
	}
	t := time.NewTimer(time.Until(s.next))
	defer t.Stop()
	select {
	case <-t.C:
		s.next = s.next.Add(AudioFrame)
		clear(pcm)
		return true
	case <-changed:
		return false
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// Close closes the input in use; reads end.
func (s *SwitchInput) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cur := s.cur
	s.cur = nil
	close(s.done)
	s.mu.Unlock()
	if cur != nil {
		return cur.Close()
	}
	return nil
}

// Name is the name of the input in use ("mic", "tone"), or "none".
func (s *SwitchInput) Name() string {
	if cur := s.Current(); cur != nil {
		return cur.Name()
	}
	return "none"
}
