// Package refq holds an echo canceller's reference: the far-end frames
// handed to the speaker that the capture side has not used yet. A Queue is
// the hand-over point between the playout thread (Push) and the capture
// thread (Pop); the canceller guards it with its own short-held mutex, so
// a Queue is not safe for concurrent use by itself.
package refq

// Queue is a canceller's queue of played frames.
//
// The two device callbacks run at the same nominal rate but not in step:
// sound servers deliver frames in bursts, devices start at different times,
// and the two clocks drift apart. The queue therefore absorbs bursts, and
// keeps the standing backlog small, because every frame waiting in it makes
// the reference lag further behind what the speaker really played. The
// adaptive filter can only model echo that arrives after its reference, so a
// backlog larger than the real speaker-to-microphone latency would make the
// echo uncancellable.
//
//   - Pop with nothing queued (the playout side is late or stopped) hands
//     out silence, counted as an underrun;
//   - Push into a full queue (the capture side is stalled) drops the oldest
//     frame and asks the next Pop to realign;
//   - realigning keeps only the newest keepFrames frames;
//   - once per window of Pops, if the queue never fell below
//     standingMaxFrames during the whole window, the backlog is standing
//     (clock drift, or a stall too short to overflow) and is trimmed back
//     to keepFrames.
type Queue struct {
	frame int     // samples per frame
	buf   []int16 // capacity frames of frame samples, a ring
	head  int     // index of the oldest queued frame
	count int     // frames queued

	realign bool // the next pop trims the backlog to keepFrames

	window    int // pops per standing-backlog check
	windowN   int // pops so far in the current window
	windowMin int // smallest queue length after a pop in this window

	dropped   uint64 // frames discarded unused
	underruns uint64 // pops that found nothing and handed out silence
}

const (
	// keepFrames is the backlog kept when realigning: one frame of slack so
	// that ordinary callback jitter does not cause underruns right away.
	keepFrames = 1
	// standingMaxFrames is the largest backlog tolerated for a whole window
	// before it is trimmed.
	standingMaxFrames = 2
)

// New makes a queue of capacity frames of frame samples each, checking
// for a standing backlog every window Pops.
func New(frame, capacity, window int) *Queue {
	q := &Queue{
		frame:  frame,
		buf:    make([]int16, frame*capacity),
		window: window,
	}
	q.Reset()
	return q
}

func (q *Queue) capacity() int { return len(q.buf) / q.frame }

func (q *Queue) slot(i int) []int16 {
	i %= q.capacity()
	return q.buf[i*q.frame : (i+1)*q.frame]
}

// Reset empties the queue and forgets the alignment.
func (q *Queue) Reset() {
	q.head, q.count = 0, 0
	q.realign = false
	q.windowN, q.windowMin = 0, q.capacity()
}

// dropOldest discards n queued frames, oldest first.
func (q *Queue) dropOldest(n int) {
	n = min(n, q.count)
	if n <= 0 {
		return
	}
	q.head = (q.head + n) % q.capacity()
	q.count -= n
	q.dropped += uint64(n)
}

// Push queues one played frame of the queue's frame length.
func (q *Queue) Push(frame []int16) {
	if q.count == q.capacity() {
		q.dropOldest(1)
		q.realign = true
	}
	copy(q.slot(q.head+q.count), frame)
	q.count++
}

// Pop fills ref (one frame) with the oldest queued frame, or silence.
func (q *Queue) Pop(ref []int16) {
	if q.realign {
		q.realign = false
		q.dropOldest(q.count - keepFrames)
		q.windowN, q.windowMin = 0, q.capacity()
	}
	if q.count == 0 {
		clear(ref)
		q.underruns++
	} else {
		copy(ref, q.slot(q.head))
		q.head = (q.head + 1) % q.capacity()
		q.count--
	}
	q.windowMin = min(q.windowMin, q.count)
	q.windowN++
	if q.windowN >= q.window {
		if q.windowMin > standingMaxFrames {
			q.dropOldest(q.windowMin - keepFrames)
		}
		q.windowN, q.windowMin = 0, q.capacity()
	}
}

// Dropped counts the frames discarded unused: the capture side fell
// behind or is stopped.
func (q *Queue) Dropped() uint64 { return q.dropped }

// Underruns counts the Pops that found no frame and handed out silence:
// the playout side is late or stopped.
func (q *Queue) Underruns() uint64 { return q.underruns }
